"""Administrators: who administers a chat (anonymous administrators too); /forget, which
asks before deleting everything stored for the chat; and /language.

In a private chat the member is the administrator; in a group only the chat's administrators
may /restart (it throws away what everybody answered), /forget, or choose the group's language.
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
from bot.telegram.language import (
    decode_language,
    language_menu,
    update_language,
)
from bot.telegram.messages import edit, respond, say
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


async def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender of ``update`` administers its chat (always so in a private chat).

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
        return False
    return member.status in ADMIN_STATUSES


async def ensure_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender administers the chat; if not, they are told it is for admins."""
    if await is_admin(update, context):
        return True
    await say(update, context, "ui.admins_only")
    return False


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask before deleting everything stored for the chat (administrators only in groups)."""
    if update.effective_chat is None or not await ensure_admin(update, context):
        return
    lang = update_language(update, context)
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
    lang = update_language(update, context)
    async with AnswerOnce(query) as tap:
        chat, data, message = update.effective_chat, decode_forget(query.data), query.message
        if chat is None or data is None or not isinstance(message, Message):
            tap.toast = t("ui.bad_button", lang)
            return
        if not await is_admin(update, context):
            tap.toast = t("ui.admins_only", lang)
            return
        if not -CLOCK_SKEW <= time.time() - data.issued <= FORGET_TTL:
            tap.toast = t("ui.forget_expired", lang)
            await edit(context, message, None, None)
            return
        if data.confirm:
            member = sender_ref(update)
            reply = await deps(context).service.forget(chat_ref(chat), member=member)
            question_messages.forget_all(context)
            logger.info("Chat %s: everything stored for it was deleted on request", chat.id)
            text = reply.text
        else:
            text = t("ui.forget_kept", lang)
        await tap.answer()
        await edit(context, message, text, None)


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
        if wanted is None:
            text, markup = language_menu(group, lang)
            await respond(update, context, Rendered((t("ui.language_unknown", lang),), markup))
            return
        await _set(update, context, wanted)
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
    async with AnswerOnce(query) as tap:
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
            await edit(context, message, reply.text, None)
