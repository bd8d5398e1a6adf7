"""The bot's place in chats: reachable or blocked, added to a group (one hello), and a group
upgraded to a supergroup, which keeps its association (``service.chat_moved``)."""

from __future__ import annotations

import logging
import time

from telegram import Chat, ChatMember, Update, User
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.telegram.delivery import blocked_chats
from bot.telegram.deps import deps
from bot.telegram.language import chat_language
from bot.telegram.messages import send
from bot.telegram.refs import old_group_ref
from bot.telegram.render import Rendered
from flows.texts import t

logger = logging.getLogger(__name__)

GREETING_INTERVAL = 60.0  # seconds: the two updates Telegram sends for one join greet once
_GREETED = "greeted_at"  # chat_data key (groups): when the bot last said hello
_MIGRATED = "migrated_chats"  # bot_data key: old chat ids already moved by this process


async def note_reachable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first for every update: a chat that writes to us can be written to again."""
    chat = update.effective_chat
    if chat is not None and (update.message or update.callback_query or update.edited_message):
        blocked_chats(context.application).discard(chat.id)


async def bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None:
        return
    chat_id = change.chat.id
    new, old = change.new_chat_member.status, change.old_chat_member.status
    if new in (ChatMember.BANNED, ChatMember.LEFT):
        blocked_chats(context.application).add(chat_id)
        logger.info("Chat %s blocked or removed the bot; its plan is kept", chat_id)
        return
    blocked_chats(context.application).discard(chat_id)
    joined = old in (ChatMember.LEFT, ChatMember.BANNED)
    if joined and new in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
        await _greet(context, change.chat, change.from_user)


async def members_joined(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The service message "… added Partnerbot": the other sign of being added to a group."""
    message = update.message
    if message is not None and any(u.id == context.bot.id for u in message.new_chat_members):
        await _greet(context, message.chat, message.from_user)


async def _greet(context: ContextTypes.DEFAULT_TYPE, chat: Chat, adder: User | None) -> None:
    """One short hello when added to a group (Telegram reports a join twice: greet once)."""
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP) or context.chat_data is None:
        return
    now = time.time()
    if now - context.chat_data.get(_GREETED, 0.0) < GREETING_INTERVAL:
        return
    context.chat_data[_GREETED] = now  # before awaiting: a concurrent duplicate sees it
    logger.info("Added to group %s", chat.id)
    # In the group's language if it has one, else in that of whoever added the bot.
    language = chat_language(context, chat, adder)
    await send(context, chat.id, Rendered((t("ui.group_welcome", language),)))


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup (new chat id): its association, plans and answers move.

    Telegram says so twice, in the old chat (migrate_to_chat_id) and in the new one
    (migrate_from_chat_id); either may come first, and the move happens once. Moving twice is
    harmless too (another instance, a restart): the second finds nothing left to move.
    """
    message = update.message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        old_id, new_id = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old_id, new_id = message.migrate_from_chat_id, message.chat.id
    else:
        return
    moved_here: set[int] = context.bot_data.setdefault(_MIGRATED, set())
    if old_id in moved_here:
        return
    moved_here.add(old_id)  # before awaiting: the other message may be handled meanwhile
    app = context.application
    app.drop_chat_data(old_id)  # message ids of the old chat mean nothing in the new one
    app.chat_data[new_id][_GREETED] = time.time()  # the bot was not added: no hello
    blocked_chats(app).discard(old_id)
    try:
        moved = await deps(context).service.chat_moved(
            old_group_ref(old_id, message.chat.title), str(new_id)
        )
    except BaseException:
        moved_here.discard(old_id)  # let the other message (or a redelivery) try again
        raise
    logger.info("Group %s became supergroup %s (association moved: %s)", old_id, new_id, moved)
