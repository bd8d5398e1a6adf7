"""Two-sided plans on Telegram: /invite and [Invite the partner], the deep links they give,
an invite opened with /start CODE ([Join] / [No, thanks]), and telling the other side when one
side forgets its half.

The links are ``https://t.me/<bot>?start=<code>`` (a private chat with the bot) and
``?startgroup=<code>`` (Telegram asks which group to add the bot to, then sends
"/start CODE" there). Codes are never logged; only their hash is stored.
"""

from __future__ import annotations

import logging

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram.admin import is_admin, redraw_now
from bot.telegram.callback_data import InviteAnswer, decode_invite, encode_invite
from bot.telegram.delivery import deliver
from bot.telegram.deps import deps
from bot.telegram.language import update_language
from bot.telegram.messages import respond, send
from bot.telegram.question_messages import show
from bot.telegram.refs import chat_ref, member_ref, sender_ref
from bot.telegram.render import Rendered, button_label
from bot.telegram.taps import AnswerOnce, tap_of
from flows.model import ChatRef, MemberRef
from flows.reply import INVITE, QUESTION, Reply
from flows.texts import t

logger = logging.getLogger(__name__)


def links(username: str, code: str) -> tuple[str, str]:
    """The deep links of an invite: to a private chat, and to the partner's own group."""
    return (f"https://t.me/{username}?start={code}", f"https://t.me/{username}?startgroup={code}")


def invite_message(reply: Reply, username: str | None) -> str:
    """The invite as a member reads it: what it is, and the two links (or why there are none)."""
    if reply.invite_code is None:
        return reply.text
    link, group_link = links(username or "", reply.invite_code)
    return reply.text + "\n\n" + t("two.links", reply.language, link=link, group_link=group_link)


async def make_invite(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, member: MemberRef, *, revoke: bool = False
) -> None:
    service = deps(context).service
    reply = await service.invite(chat_ref(chat), member, revoke=revoke)
    await send(context, chat.id, Rendered((invite_message(reply, context.bot.username),)))


async def invite_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/invite: a new invite (the old one ends); /invite revoke: end the open one;
    /invite share | private: let the partner read our members' own words, or not."""
    chat, member = update.effective_chat, sender_ref(update)
    if chat is None or member is None:
        return
    word = context.args[0].lower() if context.args else ""
    if word in ("share", "private"):
        reply = await deps(context).service.share_texts(chat_ref(chat), member, word == "share")
        await respond(update, context, Rendered((reply.text,)))
        return
    revoke = word in ("revoke", "end", "stop")
    await make_invite(context, chat, member, revoke=revoke)


async def open_invite(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    """/start CODE: who invites, for what, what is shared; [Join] [No, thanks]."""
    chat, member = update.effective_chat, sender_ref(update)
    if chat is None or member is None:
        return
    reply = await deps(context).service.open_invite(chat_ref(chat), member, code)
    markup = None
    if reply.kind != INVITE:  # forged, expired, ended or used: never the code itself
        logger.info("An invite link that cannot be used was opened in chat %s", chat.id)
    else:
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        button_label(option.label),
                        callback_data=encode_invite(InviteAnswer(option.key == "join", code)),
                    )
                    for option in reply.options
                ]
            ]
        )
    await respond(update, context, Rendered((reply.text,), markup))


async def invite_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Join] or [No, thanks]. In a group, as for /restart: its administrators decide."""
    query = update.callback_query
    if query is None:
        return
    lang = update_language(update, context)
    async with AnswerOnce(query, context) as tap:
        parts = tap_of(update, query, "invite button", decode_invite(query.data))
        if parts is None:
            tap.toast = t("ui.bad_button", lang)
            return
        chat, user, message, answer = parts
        if chat.type != ChatType.PRIVATE and not await is_admin(update, context):
            tap.toast = t("ui.admins_only", lang)
            return
        service, where, member = deps(context).service, chat_ref(chat), member_ref(user)
        if answer.join:
            reply = await service.join(where, member, answer.code)
        else:
            reply = await service.decline(where, member, answer.code)
        await tap.answer()
        if reply.kind == QUESTION:
            if isinstance(message, Message):
                redraw_now(context, message, None)  # the buttons are done with
            await show(context, chat, reply, tidy=False)
        elif isinstance(message, Message):
            redraw_now(context, message, reply.text)
        else:
            await send(context, chat.id, Rendered((reply.text,)))


async def tell_partners_left(context: ContextTypes.DEFAULT_TYPE, others: list[ChatRef]) -> None:
    """After one side forgot its half: each chat of the other side is told, once."""
    text = deps(context).service.partner_left().text
    for other in others:
        if other.transport != "telegram":
            continue
        chat_id = int(other.chat_id)
        try:
            await deliver(
                context,
                chat_id,
                "partner left",
                lambda chat_id=chat_id: context.bot.send_message(chat_id, text),  # type: ignore[misc]
            )
        except TelegramError as exc:
            logger.warning("Could not tell chat %s that its partner left: %s", chat_id, exc)
