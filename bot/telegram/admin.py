"""Administrators: who administers a chat (anonymous administrators too), and /forget, which
asks before deleting everything stored for the chat.

In a private chat the member is the administrator; in a group only the chat's administrators
may /restart (it throws away what everybody answered) or /forget. Both ask first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram import question_messages
from bot.telegram.callback_data import (
    ForgetData,
    decode_forget,
    decode_restart,
    encode_forget,
    encode_restart,
)
from bot.telegram.deps import deps
from bot.telegram.messages import redraw, respond, say
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
    if update.effective_chat is not None and await ensure_admin(update, context):
        await confirm(update, context, "forget")


# How each confirmation's buttons are written and read (texts: ui.<what>_confirm, _yes, _no).
CONFIRMATIONS: dict[
    str, tuple[Callable[[ForgetData], str], Callable[[object], ForgetData | None]]
] = {
    "forget": (encode_forget, decode_forget),
    "restart": (encode_restart, decode_restart),
}


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str) -> None:
    """Ask "are you sure?" with two buttons (``ui.<what>_confirm``, ``_yes``, ``_no``)."""
    lang = deps(context).language
    encode, _ = CONFIRMATIONS[what]
    issued = int(time.time())
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(f"ui.{what}_yes", lang), callback_data=encode(ForgetData(True, issued))
                ),
                InlineKeyboardButton(
                    t(f"ui.{what}_no", lang), callback_data=encode(ForgetData(False, issued))
                ),
            ]
        ]
    )
    await respond(update, context, Rendered((t(f"ui.{what}_confirm", lang),), markup))


@asynccontextmanager
async def confirmed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, what: str
) -> AsyncIterator[tuple[AnswerOnce, Message, bool] | None]:
    """A tap on a confirmation's buttons: ``(tap, message, yes)`` when it is an administrator's
    and still fresh, else None (the tap is answered with why; an expired question loses its
    buttons). The tap is always answered when the block ends."""
    query = update.callback_query
    if query is None:
        yield None
        return
    lang = deps(context).language
    _, decode = CONFIRMATIONS[what]
    async with AnswerOnce(query, context) as tap:
        chat, data, message = update.effective_chat, decode(query.data), query.message
        if chat is None or data is None or not isinstance(message, Message):
            tap.toast = t("ui.bad_button", lang)
            yield None
            return
        admin = await is_admin(update, context)
        if not admin:
            tap.toast = t("ui.admins_only" if admin is False else "ui.admin_check_failed", lang)
            yield None
            return
        if not -CLOCK_SKEW <= time.time() - data.issued <= FORGET_TTL:
            tap.toast = t(f"ui.{what}_expired", lang)
            redraw_now(context, message, None)
            yield None
            return
        yield tap, message, data.confirm


def redraw_now(context: ContextTypes.DEFAULT_TYPE, message: Message, text: str | None) -> None:
    """Replace a confirmation's buttons with ``text`` (None: just drop the buttons)."""
    redraw(context, message.chat_id, message.message_id, text, None)


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Delete everything" and "Keep" buttons under /forget; administrators only."""
    async with confirmed(update, context, "forget") as answer:
        if answer is None:
            return
        tap, message, yes = answer
        chat = update.effective_chat
        assert chat is not None
        if yes:
            reply = await deps(context).service.forget(chat_ref(chat))
            question_messages.forget_all(context)
            logger.info("Chat %s: everything stored for it was deleted on request", chat.id)
            text = reply.text
        else:
            text = t("ui.forget_kept", deps(context).language)
        await tap.answer()
        redraw_now(context, message, text)
