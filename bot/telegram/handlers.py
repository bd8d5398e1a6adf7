"""One callback per kind of update; the table at the bottom is the table of contents.

Every callback turns an update into one domain event, asks the PlanningService, and shows the
Reply. State lives in the database, not here (no ConversationHandler): any instance can serve
any update, and a restart loses nothing. ``chat_data`` only remembers which message shows the
current question, to tidy it up once it is answered by typing; losing that is cosmetic.

Groups: everything takes a ChatRef of kind "group" already. In groups the bot only reacts to
messages addressed to it (replies to it, @mentions, commands), so it stays quiet when privacy
mode is off; ForceReply and admin checks come with group support.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import Chat, ChatMember, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram.callback_data import Action, ButtonData, decode, to_event
from bot.telegram.delivery import answer_query, blocked_chats, deliver
from bot.telegram.refs import chat_ref, member_ref
from bot.telegram.render import Rendered, answered_text, render
from flows.events import Back, Event, Restart, Skip, Start, Summary, Text
from flows.model import ChatRef, MemberRef
from flows.reply import CONFLICT, INVALID, QUESTION, REVIEW, STALE, Reply
from flows.texts import t

logger = logging.getLogger(__name__)

MAX_TEXT = 2000  # longer messages are refused before they reach the service
DEPS = "partnerbot"  # bot_data key of the Deps
_QUESTION_MESSAGE = "question_message"  # chat_data key: the message showing the question
_REFUSED = frozenset({STALE, INVALID, CONFLICT})


class Service(Protocol):
    async def handle(
        self, chat: ChatRef, member: MemberRef, event: Event, *, plan_id: int | None = None
    ) -> Reply: ...


@dataclass(frozen=True)
class Deps:
    """What the handlers need, kept in ``application.bot_data[DEPS]``."""

    service: Service
    language: str = "en"


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.bot_data[DEPS]  # type: ignore[no-any-return]


# --- commands --------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # A deep-link payload (/start <payload>, for partner invites) is ignored until invites exist.
    await _say(update, context, "ui.welcome")
    await _run(update, context, Start())


async def plan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Start())


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Start())


async def back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Back())


async def skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Skip())


async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Summary())


async def restart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Restart())


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, context, "ui.help")


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Nothing to stop: the plan waits in the database until the member comes back.
    await _say(update, context, "ui.cancelled")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None or not _command_for_us(message, context.bot.username):
        return
    await _say(update, context, "ui.unknown_command")


# --- messages --------------------------------------------------------------------------------


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None or message.text is None or not _addressed_to_us(message, context):
        return
    text = message.text
    if message.chat.type != ChatType.PRIVATE and context.bot.username:
        text = text.replace(f"@{context.bot.username}", "").strip()
    if len(text) > MAX_TEXT:
        await _say(update, context, "ui.too_long", length=len(text), limit=MAX_TEXT)
        return
    await _run(update, context, Text(text))


async def non_text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and _addressed_to_us(update.message, context):
        await _say(update, context, "ui.non_text")


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Answers are events in order; re-reading an edited old message would rewrite history.
    if update.edited_message is not None and _addressed_to_us(update.edited_message, context):
        await _say(update, context, "ui.edited_ignored")


# --- buttons ---------------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an inline button. Always answers the query, with a toast when refused."""
    query = update.callback_query
    if query is None:
        return
    lang = deps(context).language
    toast: str | None = None
    answered = False
    try:
        chat, user = update.effective_chat, update.effective_user
        data = decode(query.data)
        if chat is None or user is None or query.message is None or data is None:
            # Garbage, a forged button, or a button of an inline message: never act on it.
            logger.warning(
                "Refused callback data %r from user %s in chat %s",
                (query.data or "")[:80],
                user.id if user else None,
                chat.id if chat else None,
            )
            toast = t("ui.bad_button", lang)
            return
        reply = await deps(context).service.handle(
            chat_ref(chat), member_ref(user), to_event(data), plan_id=data.plan_id
        )
        if reply.kind in _REFUSED:
            if reply.plan_id != data.plan_id:
                # Another plan's button: an old plan of this chat, or one forged or copied
                # from another chat. Nothing was changed.
                logger.warning(
                    "Refused button for plan %s from user %s in chat %s (chat's plan: %s)",
                    data.plan_id,
                    user.id,
                    chat.id,
                    reply.plan_id,
                )
            toast = reply.text or t("ui.stale_button", lang)
            return
        # Accepted: stop the client's spinner now, then tidy up and show what comes next.
        await answer_query(query)
        answered = True
        await _after_tap(context, chat, query.message, data, reply)
    finally:
        if not answered:  # also when something above raised: never leave a tap unanswered
            await answer_query(query, toast)


async def _after_tap(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    tapped: Any,
    data: ButtonData,
    reply: Reply,
) -> None:
    lang = deps(context).language
    message = tapped if isinstance(tapped, Message) else None  # None: too old to edit
    group = chat.type != ChatType.PRIVATE
    if (
        message is not None
        and data.action in (Action.TOGGLE, Action.ANSWER)
        and reply.kind == QUESTION
        and reply.question == data.question
        and reply.previous_question is None
    ):
        # Still the same question (a box ticked, or a vote in a group): redraw the message
        # instead of adding one per tap.
        rendered = render(reply, lang, group=group)
        if await _edit(context, message, rendered.chunks[-1], rendered.markup):
            return  # else: fall through and send it as a new message
    if message is not None:
        # The tapped message is done with: show the answer on it, or just drop its buttons.
        if reply.previous_question is not None and message.text:
            text = answered_text(message.text, reply, group=group, language=lang)
            await _edit(context, message, text, None)
        elif message.reply_markup is not None:
            await _edit(context, message, None, None)
        remembered = context.chat_data.get(_QUESTION_MESSAGE) if context.chat_data else None
        if remembered and remembered["id"] == message.message_id:
            context.chat_data.pop(_QUESTION_MESSAGE, None)  # type: ignore[union-attr]
    await _show(context, chat, reply, tidy=False)


async def _edit(
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    text: str | None,
    markup: InlineKeyboardMarkup | None,
) -> bool:
    """Edit ``message`` (text None: its buttons only). False when it cannot be edited."""
    try:
        if text is None:
            await deliver(
                context,
                message.chat_id,
                "editMessageReplyMarkup",
                lambda: message.edit_reply_markup(reply_markup=markup),
            )
        else:
            await deliver(
                context,
                message.chat_id,
                "editMessageText",
                lambda: message.edit_text(text, reply_markup=markup),
            )
    except BadRequest as exc:  # e.g. older than 48 hours or deleted: cosmetic, carry on
        logger.info("Could not edit message %s in chat %s: %s", message.id, message.chat_id, exc)
        return False
    return True


# --- membership and errors -------------------------------------------------------------------


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
    if change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT):
        blocked_chats(context.application).add(chat_id)
        logger.info("Chat %s blocked or removed the bot; its plan is kept", chat_id)
    else:
        blocked_chats(context.application).discard(chat_id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log, and tell the member their answers are safe. Every event is one transaction, so an
    error after the service returned has already stored the answer; one before stored nothing.
    """
    chat = update.effective_chat if isinstance(update, Update) else None
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error(
        "Error handling update %s in chat %s",
        update_id,
        chat.id if chat else None,
        exc_info=context.error,
    )
    if chat is None:
        return
    text = t("ui.error", deps(context).language)
    try:
        await deliver(
            context, chat.id, "error notice", lambda: context.bot.send_message(chat.id, text)
        )
    except TelegramError as exc:
        logger.warning("Could not tell chat %s about the error: %s", chat.id, exc)


# --- helpers ---------------------------------------------------------------------------------


async def _run(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:  # e.g. an anonymous channel post: nobody to plan with
        return
    reply = await deps(context).service.handle(chat_ref(chat), member_ref(user), event)
    await _show(context, chat, reply, tidy=True)


async def _show(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, reply: Reply, *, tidy: bool
) -> None:
    """Send ``reply``; with ``tidy``, first mark the question it answers as answered."""
    lang = deps(context).language
    chat_data = context.chat_data if context.chat_data is not None else {}
    if tidy and reply.previous_question is not None and reply.kind not in _REFUSED:
        remembered = chat_data.pop(_QUESTION_MESSAGE, None)
        if remembered and remembered["question"] == reply.previous_question:
            await _tidy_answered(context, chat, remembered, reply)
    rendered = render(reply, lang, group=chat.type != ChatType.PRIVATE)
    sent = await _send(context, chat.id, rendered)
    if sent is not None and reply.kind in (QUESTION, REVIEW):
        chat_data[_QUESTION_MESSAGE] = {
            "id": sent.message_id,
            "text": sent.text or rendered.chunks[-1],
            "question": reply.question,
        }


async def _tidy_answered(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, remembered: dict[str, Any], reply: Reply
) -> None:
    lang = deps(context).language
    group = chat.type != ChatType.PRIVATE
    text = answered_text(remembered["text"], reply, group=group, language=lang)
    try:
        await deliver(
            context,
            chat.id,
            "editMessageText",
            lambda: context.bot.edit_message_text(
                text, chat_id=chat.id, message_id=remembered["id"]
            ),
        )
    except BadRequest as exc:
        logger.info(
            "Could not mark message %s in chat %s answered: %s", remembered["id"], chat.id, exc
        )


async def _send(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, rendered: Rendered
) -> Message | None:
    """Send every chunk; the keyboard goes under the last. Returns the last message sent."""
    last: Message | None = None
    for number, chunk in enumerate(rendered.chunks, start=1):
        markup = rendered.markup if number == len(rendered.chunks) else None

        async def call(chunk: str = chunk, markup: Any = markup) -> Message:
            return await context.bot.send_message(chat_id, chunk, reply_markup=markup)

        last = await deliver(context, chat_id, "sendMessage", call)
        if last is None:  # the chat blocked us: the rest would be refused as well
            return None
    return last


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **params: Any) -> None:
    """Send one interface text (``ui.*``) to the chat of ``update``."""
    chat = update.effective_chat
    if chat is None:
        return
    await _send(context, chat.id, Rendered((t(key, deps(context).language, **params),)))


def _addressed_to_us(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if (
        replied is not None
        and replied.from_user is not None
        and replied.from_user.id == context.bot.id
    ):
        return True
    username = context.bot.username
    text = message.text or message.caption or ""
    return bool(username) and f"@{username}".lower() in text.lower()


def _command_for_us(message: Message, username: str | None) -> bool:
    """In groups, only "/cmd@ourbot" is surely ours; "/cmd" may be for another bot."""
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    _, _, target = command.partition("@")
    if target:
        return bool(username) and target.lower() == username.lower()
    return message.chat.type == ChatType.PRIVATE


# --- the handler table -----------------------------------------------------------------------

# Commands only on new messages: an edited "/plan" must not run again (edits are refused).
_NEW = filters.UpdateType.MESSAGE

COMMANDS = {
    "start": start,
    "plan": plan,
    "resume": resume,
    "back": back,
    "skip": skip,
    "summary": summary,
    "restart": restart,
    "help": help_command,
    "cancel": cancel,
}

# (group, handler). Group -1 runs before the others for every update; within group 0 the
# first matching handler wins, so the order below matters (commands before the catch-alls).
HANDLERS: tuple[tuple[int, BaseHandler[Update, Any, Any]], ...] = (
    (-1, TypeHandler(Update, note_reachable)),
    *((0, CommandHandler(name, callback, filters=_NEW)) for name, callback in COMMANDS.items()),
    (0, MessageHandler(_NEW & filters.COMMAND, unknown_command)),
    (0, MessageHandler(_NEW & filters.TEXT, text_message)),
    (0, MessageHandler(_NEW & ~filters.StatusUpdate.ALL, non_text_message)),
    (0, MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_message)),
    (0, CallbackQueryHandler(button)),
    (0, ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER)),
)
