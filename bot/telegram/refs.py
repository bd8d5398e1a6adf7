"""Telegram chats and users → the domain's ChatRef and MemberRef."""

from __future__ import annotations

from telegram import Chat, User
from telegram.constants import ChatType

from flows.model import ChatRef, MemberRef

TRANSPORT = "telegram"


def chat_ref(chat: Chat) -> ChatRef:
    kind = "private" if chat.type == ChatType.PRIVATE else "group"
    title = chat.title or chat.full_name or chat.username or ""
    return ChatRef(transport=TRANSPORT, chat_id=str(chat.id), kind=kind, title=title)


def member_ref(user: User) -> MemberRef:
    # is_admin stays False until group support asks Telegram (getChatMember) for it.
    name = user.first_name or user.full_name or user.username or str(user.id)
    return MemberRef(user_id=str(user.id), name=name, is_admin=False)
