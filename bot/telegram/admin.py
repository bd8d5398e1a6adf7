"""Administrators: who administers a chat (anonymous administrators too); /forget, which
asks before deleting everything stored for the chat; and /language.

In a private chat the member is the administrator; in a group only the chat's administrators
may /restart (it throws away what everybody answered) or /forget (both ask first), or choose
the group's language.
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
from bot.telegram.language import decode_language, language_menu, update_language
from bot.telegram.messages import redraw, respond, say
from bot.telegram.refs import chat_ref, is_anonymous_admin, sender_ref
from bot.telegram.render import Rendered
from bot.telegram.taps import AnswerOnce
from flows.events import SetLanguage
from flows.reply import Reply
from flows.texts import language_name, languages, supported, t

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
    lang = update_language(update, context)
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
    lang = update_language(update, context)
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
            from bot.telegram.invites import tell_partners_left  # (it imports this module)

            service = deps(context).service
            # The other side of a two-sided plan is told that its partner left.
            others = await service.partner_chats(chat_ref(chat))
            reply = await service.forget(chat_ref(chat), member=sender_ref(update))
            await tell_partners_left(context, others)
            question_messages.forget_all(context)
            logger.info("Chat %s: everything stored for it was deleted on request", chat.id)
            text = reply.text
        else:
            text = t("ui.forget_kept", update_language(update, context))
        await tap.answer()
        redraw_now(context, message, text)


# --- /language -------------------------------------------------------------------------------


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language shows the choice; "/language fi" (or "suomi") sets it at once."""
    chat = update.effective_chat
    if chat is None or not await ensure_admin(update, context):
        return
    group = chat.type != ChatType.PRIVATE
    lang = update_language(update, context)
    if context.args:
        wanted = _named(" ".join(context.args))
        if wanted is not None:
            await _set(update, context, wanted)
            return
        _, markup = language_menu(group, lang)
        await respond(update, context, Rendered((t("ui.language_unknown", lang),), markup))
        return
    text, markup = language_menu(group, lang)
    await respond(update, context, Rendered((text,), markup))


def _named(text: str) -> str | None:
    """A language given by code ("fi", "en-GB") or by its own name ("suomi")."""
    text = text.strip()
    by_name = {language_name(code).casefold(): code for code in languages()}
    return supported(text) or by_name.get(text.casefold())


async def _set(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> Reply | None:
    chat, member = update.effective_chat, sender_ref(update)
    if chat is None or member is None:
        return None
    reply = await deps(context).service.handle(chat_ref(chat), member, SetLanguage(language))
    if update.callback_query is None:
        await respond(update, context, Rendered((reply.text,)))
    logger.info("Chat %s: language set to %s", chat.id, reply.language)
    return reply


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on one of the languages under /language (administrators only in a group)."""
    query = update.callback_query
    if query is None:
        return
    async with AnswerOnce(query, context) as tap:
        lang = update_language(update, context)
        wanted, message = decode_language(query.data), query.message
        if wanted is None or supported(wanted) is None or not isinstance(message, Message):
            tap.toast = t("ui.bad_button", lang)
            return
        if not await is_admin(update, context):
            tap.toast = t("ui.admins_only", lang)
            return
        reply = await _set(update, context, wanted)
        await tap.answer()
        if reply is not None:
            redraw_now(context, message, reply.text)
