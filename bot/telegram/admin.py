"""Administrators: who administers a chat (anonymous administrators too), and /forget, which
asks before deleting everything stored for the chat.

In a private chat the member is the administrator; in a group only the chat's administrators
may /restart (it throws away what everybody answered) or /forget.
"""

from __future__ import annotations

import logging
import time

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram import question_messages
from bot.telegram.callback_data import ForgetData, decode_forget, encode_forget
from bot.telegram.deps import deps
from bot.telegram.messages import edit, respond, say
from bot.telegram.refs import chat_ref, is_anonymous_admin
from bot.telegram.render import Rendered
from bot.telegram.taps import AnswerOnce
from flows.texts import t

logger = logging.getLogger(__name__)

FORGET_TTL = 10 * 60  # seconds a /forget confirmation stays valid
CLOCK_SKEW = 60  # seconds another instance's clock may be ahead of ours
ADMIN_STATUSES = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})


async def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool | None:
    """Whether the sender of ``update`` administers its chat (always so in a private chat);
    None when Telegram could not be asked (a time-out, a network error).

    Asks Telegram (getChatMember) once per call; an anonymous administrator's message is sent
    on behalf of the group itself, which needs no asking.
    """
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if is_anonymous_admin(update.message):
        return True
    user = update.effective_user
    if user is None or (update.message is not None and update.message.sender_chat is not None):
        return False  # e.g. a member writing as their channel
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        logger.warning("Could not check user %s in chat %s: %s", user.id, chat.id, exc)
        return None
    return member.status in ADMIN_STATUSES


async def ensure_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender administers the chat; if not, they are told it is for admins (or,
    when Telegram could not be asked, to try again)."""
    admin = await is_admin(update, context)
    if admin:
        return True
    await say(update, context, "ui.admins_only" if admin is False else "ui.admin_check_failed")
    return False


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask before deleting everything stored for the chat (administrators only in groups)."""
    if update.effective_chat is None or not await ensure_admin(update, context):
        return
    lang = deps(context).language
    issued = int(time.time())
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("ui.forget_yes", lang), callback_data=encode_forget(ForgetData(True, issued))
                ),
                InlineKeyboardButton(
                    t("ui.forget_no", lang), callback_data=encode_forget(ForgetData(False, issued))
                ),
            ]
        ]
    )
    await respond(update, context, Rendered((t("ui.forget_confirm", lang),), markup))


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Delete everything" and "Keep" buttons under /forget; administrators only."""
    query = update.callback_query
    if query is None:
        return
    lang = deps(context).language
    async with AnswerOnce(query, lang) as tap:
        chat, data, message = update.effective_chat, decode_forget(query.data), query.message
        if chat is None or data is None or not isinstance(message, Message):
            tap.toast = t("ui.bad_button", lang)
            return
        admin = await is_admin(update, context)
        if not admin:
            tap.toast = t("ui.admins_only" if admin is False else "ui.admin_check_failed", lang)
            return
        if not -CLOCK_SKEW <= time.time() - data.issued <= FORGET_TTL:
            tap.toast = t("ui.forget_expired", lang)
            await edit(context, message, None, None)
            return
        if data.confirm:
            reply = await deps(context).service.forget(chat_ref(chat))
            question_messages.forget_all(context)
            logger.info("Chat %s: everything stored for it was deleted on request", chat.id)
            text = reply.text
        else:
            text = t("ui.forget_kept", lang)
        await tap.answer()
        await edit(context, message, text, None)
