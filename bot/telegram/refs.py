"""Telegram chats and users → the domain's ChatRef and MemberRef."""

from __future__ import annotations

from telegram import Chat, Message, Update, User
from telegram.constants import ChatType

from bot.text import clean
from flows.model import ChatRef, MemberRef
from flows.texts import supported

TRANSPORT = "telegram"

# The user Telegram shows as the sender of messages that an anonymous administrator sends on
# behalf of the group (the message's ``sender_chat`` is then the group itself).
GROUP_ANONYMOUS_BOT = 1087968824


def chat_ref(chat: Chat) -> ChatRef:
    kind = "private" if chat.type == ChatType.PRIVATE else "group"
    title = clean(chat.title or chat.full_name or chat.username or "")
    return ChatRef(transport=TRANSPORT, chat_id=str(chat.id), kind=kind, title=title)


def old_group_ref(old_chat_id: int, title: str | None) -> ChatRef:
    """The basic group a supergroup was upgraded from."""
    return ChatRef(
        transport=TRANSPORT, chat_id=str(old_chat_id), kind="group", title=clean(title or "")
    )


def member_ref(user: User, *, is_admin: bool = False) -> MemberRef:
    name = clean(user.first_name or user.full_name or user.username or "") or str(user.id)
    language = supported(user.language_code)  # the member's Telegram language, if we have it
    return MemberRef(user_id=str(user.id), name=name, is_admin=is_admin, language=language)


def message_text(message: Message) -> str:
    """What a member typed, storable (see bot.text); "" for a message without text."""
    return clean(message.text or "")


def is_anonymous_admin(message: Message | None) -> bool:
    """Sent by an administrator on behalf of the group itself (``sender_chat`` is the group)."""
    return (
        message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == message.chat.id
    )


def sender_ref(update: Update) -> MemberRef | None:
    """Who sent ``update``: the user, or the chat a message was sent on behalf of.

    An anonymous administrator has no user of their own (Telegram shows GroupAnonymousBot), so
    the group is the member then; a message sent as a channel is that channel.
    """
    message = update.message or update.edited_message
    if message is not None and message.sender_chat is not None:
        sender = message.sender_chat
        name = clean(sender.title or sender.username or "") or str(sender.id)
        return MemberRef(user_id=str(sender.id), name=name, is_admin=is_anonymous_admin(message))
    user = update.effective_user
    return member_ref(user) if user is not None else None
