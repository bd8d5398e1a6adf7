"""One callback per kind of update; the table at the bottom is the table of contents.

Every callback turns an update into one domain event, asks the PlanningService, and shows the
Reply. State lives in the database, not here (no ConversationHandler): any instance can serve
any update, and a restart loses nothing. ``chat_data`` only remembers which messages show
questions (``question_messages``); losing that is cosmetic.

Groups (one group is one association, its plans shared by all members):

- Only messages addressed to the bot are read: commands (also ``/cmd@bot``), replies to its
  messages and @mentions. That is all a bot sees with privacy mode on; with it off, the bot
  still stays out of the members' own conversation.
- Any member may answer. An accepted button answer edits the tapped message into the next
  question, headed by who answered and how ("Group: 3 (median of Anna 3, Ben 2, Carl 5) —
  closed by Carl"), instead of sending a new message: a bot may send only about 20 messages a
  minute to a group. The header comes from the plan, so every later redraw keeps it.
- A scale is a blind vote: the message shows who has voted, not what; the voter's own value
  comes back in the tap's toast. Votes far apart are put to the group before moving on.
- Every tap is answered as soon as the plan is written; the redraw that follows is merged with
  other redraws of the same message (``redraw``), so a burst never queues the chat behind its
  own edits. Text questions need a new message, with a selective
  ``ForceReply`` aimed at the member who asked for it or answered last (by replying to their
  message, or mentioning them after a tap); any member's reply to it is accepted.
- A reply to a question's message answers that question only: if it was answered meanwhile,
  nothing changes and the member is told by whom (never taken as the next question's answer).
- Two members answering at once: the store lets exactly one win; the other is told who.
- /restart and /forget are for the chat's administrators (anonymous ones included; ``admin``).
- A group upgraded to a supergroup keeps its association (``membership``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Chat, ForceReply, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
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

from bot.telegram import invites, question_messages
from bot.telegram.admin import (
    confirm,
    confirmed,
    ensure_admin,
    forget,
    forget_button,
    language_button,
    language_command,
    redraw_now,
)
from bot.telegram.callback_data import (
    Action,
    ButtonData,
    decode,
    decode_forget,
    decode_invite,
    decode_restart,
    decode_result,
    to_event,
)
from bot.telegram.delivery import deliver
from bot.telegram.deps import deps
from bot.telegram.language import chat_language, decode_language, update_language
from bot.telegram.membership import bot_membership, chat_migrated, members_joined, note_reachable
from bot.telegram.messages import group_message_id, redraw, respond, say
from bot.telegram.question_messages import REFUSED, is_old_copy, remember, replied_question, show
from bot.telegram.refs import chat_ref, member_ref, message_text, sender_ref
from bot.telegram.render import MAX_PICK, Rendered, answered_text, picker, render
from bot.telegram.results import result_button
from bot.telegram.taps import AnswerOnce, CallbackDataHandler, log_foreign, log_race, tap_of
from flows.events import Back, Event, Restart, Skip, Start, Summary, Text
from flows.questionnaire import SCALE, by_key
from flows.reply import CONFLICT, QUESTION, Reply
from flows.reply import REVIEW as REVIEW_REPLY
from flows.texts import t

logger = logging.getLogger(__name__)

MAX_TEXT = 2000  # longer messages are refused before they reach the service
VOTE_ATTEMPTS = 3  # a group vote that lost a race is tried again: votes of members commute

# Deep-link payloads of /start (t.me/<bot>?start=<payload>), as Telegram allows them.
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
DEEP_LINKS = frozenset({"plan", "resume"})


# --- commands --------------------------------------------------------------------------------


def start_payload(args: list[str] | None) -> str | None:
    """The deep-link payload of "/start <payload>", or None when there is no valid one."""
    if not args or len(args) != 1 or _PAYLOAD.fullmatch(args[0]) is None:
        return None
    return args[0]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is not None and context.args:
        payload = start_payload(context.args)
        if payload in DEEP_LINKS and chat.type == ChatType.PRIVATE:
            await _run(update, context, Start())  # "plan" and "resume": straight to it
            return
        if payload is not None and payload not in DEEP_LINKS:
            # An invite (?start=CODE, or ?startgroup=CODE in the partner's group); a forged
            # or spent code gets one line. The code itself is never logged.
            await invites.open_invite(update, context, payload)
            return
        logger.info("Ignored an unknown deep-link payload in chat %s", chat.id)
    await say(update, context, "ui.welcome")
    await _run(update, context, Start())


async def plan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/plan and /resume: the open plan at its question, or a new plan."""
    await _run(update, context, Start())


async def back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Back())


async def skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Skip())


async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Summary())


async def restart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Asks first, like /forget. In a group a restart throws away what everybody answered:
    administrators only."""
    if await ensure_admin(update, context):
        await confirm(update, context, "restart")


async def restart_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Start a new plan" / "Keep going" under /restart; administrators only."""
    async with confirmed(update, context, "restart") as answer:
        if answer is None:
            return
        tap, message, yes = answer
        if not yes:
            await tap.answer()
            redraw_now(context, message, t("ui.restart_kept", update_language(update, context)))
            return
        chat, member = update.effective_chat, sender_ref(update)
        assert chat is not None and member is not None
        reply = await deps(context).service.handle(chat_ref(chat), member, Restart())
        await tap.answer()
        redraw_now(context, message, t("ui.restart_yes", reply.language))
        await show(context, chat, reply, tidy=False)


async def plans(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is not None:
        reply = await deps(context).service.plans(chat_ref(chat), member=sender_ref(update))
        await respond(update, context, Rendered((reply.text,)))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "ui.help")


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Nothing to stop: the plan waits in the database until the member comes back.
    await say(update, context, "ui.cancelled")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None or not _command_for_us(message, context.bot.username):
        return
    await say(update, context, "ui.unknown_command")


# --- messages --------------------------------------------------------------------------------


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None or message.text is None or not _addressed_to_us(message, context):
        return
    text = message_text(message)
    question: str | None = None
    if message.chat.type != ChatType.PRIVATE:
        if context.bot.username:
            text = re.sub(re.escape(f"@{context.bot.username}"), "", text, flags=re.I).strip()
        if not text:  # just "@bot": show where the plan stands
            await _run(update, context, Start())
            return
        question = replied_question(message, context)
    if len(text) > MAX_TEXT:
        await say(update, context, "ui.too_long", length=len(text), limit=MAX_TEXT)
        return
    await _run(update, context, Text(text, question=question))


async def non_text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and _addressed_to_us(update.message, context):
        await say(update, context, "ui.non_text")


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Answers are events in order; re-reading an edited old message would rewrite history.
    if update.edited_message is not None and _addressed_to_us(update.edited_message, context):
        await say(update, context, "ui.edited_ignored")


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


async def _run(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
    chat, member = update.effective_chat, sender_ref(update)
    if chat is None or member is None:  # e.g. an anonymous channel post: nobody to plan with
        return
    reply = await deps(context).service.handle(chat_ref(chat), member, event)
    await show(context, chat, reply, tidy=True, reply_to=group_message_id(update))


# --- buttons ---------------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a question button. Always answers the query, with a toast when refused."""
    query = update.callback_query
    if query is None:
        return
    lang = update_language(update, context)
    async with AnswerOnce(query, context) as tap:
        parts = tap_of(update, query, "callback data", decode(query.data))
        if parts is None:
            tap.toast = t("ui.bad_button", lang)
            return
        chat, user, message, data = parts
        if is_old_copy(context, message.message_id):
            # A newer copy of the question was sent and this one's buttons removed, but the
            # tap was already on its way: it changes nothing.
            tap.toast = t("ui.old_copy", lang)
            return
        reply = await _handle_tap(context, chat, user, data)
        if data.action == Action.PICK and reply.kind != REVIEW_REPLY:
            tap.toast = t("ui.stale_button", lang)  # the review has moved on meanwhile
            return
        if reply.kind in REFUSED:
            if reply.kind == CONFLICT:
                log_race("button", data.plan_id, user, chat)
            elif reply.plan_id != data.plan_id:
                log_foreign("button", data.plan_id, user, chat, reply.plan_id)
            # A conflict or a late tap in a group names who answered first.
            tap.toast = reply.text or t("ui.stale_button", reply.language or lang)
            return
        # Accepted: stop the client's spinner now, then tidy up and show what comes next.
        vote = _is_vote(chat, data) and reply.kind == QUESTION and reply.previous_question is None
        await tap.answer(t("ui.vote_counted", lang, value=data.option) if vote else None)
        if data.action == Action.PICK:
            _draw_picker(context, chat, message, data, reply)
            return
        await _after_tap(context, chat, user, message, data, reply)


async def _handle_tap(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, user: User, data: ButtonData
) -> Reply:
    service = deps(context).service
    event = to_event(data)
    reply = await service.handle(chat_ref(chat), member_ref(user), event, plan_id=data.plan_id)
    # A group's votes on a scale commute (one per member), so a vote that lost the race
    # against another member's vote is simply cast again on the fresh plan.
    attempts = 1
    while reply.kind == CONFLICT and _is_vote(chat, data) and attempts < VOTE_ATTEMPTS:
        attempts += 1
        reply = await service.handle(chat_ref(chat), member_ref(user), event, plan_id=data.plan_id)
    return reply


def _is_vote(chat: Chat, data: ButtonData) -> bool:
    return (
        chat.type != ChatType.PRIVATE
        and data.action == Action.ANSWER
        and data.question is not None
        and by_key(data.question).kind == SCALE
    )


async def _after_tap(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    user: User,
    tapped: Any,
    data: ButtonData,
    reply: Reply,
) -> None:
    lang = reply.language or chat_language(context, chat, user)
    message = tapped if isinstance(tapped, Message) else None  # None: too old to edit
    group = chat.type != ChatType.PRIVATE

    async def anew() -> None:  # the message could not be edited: send the step anew
        await show(context, chat, reply, tidy=False, mention=user)

    if (
        message is not None
        and data.action in (Action.TOGGLE, Action.ANSWER, Action.DONE, Action.REVOTE)
        and reply.kind == QUESTION
        and reply.question == data.question
        and reply.previous_question is None
    ):
        # Still the same question (a box ticked, a vote, votes far apart): redraw the message
        # instead of adding one per tap.
        rendered = render(reply, lang, group=group)
        markup = rendered.markup if isinstance(rendered.markup, InlineKeyboardMarkup) else None
        if len(rendered.chunks) == 1:
            redraw(context, chat.id, message.message_id, rendered.chunks[0], markup, anew)
            remember(context, chat, message.message_id, rendered.chunks[0], reply)
            return
    if group and message is not None and _advance_in_place(context, chat, message, reply, anew):
        return
    if message is not None:
        # The tapped message is done with: show the answer on it, or just drop its buttons.
        if reply.previous_question is not None and message.text:
            text = answered_text(message.text, reply, group=group, language=lang)
            redraw(context, chat.id, message.message_id, text, None)
        elif message.reply_markup is not None:
            redraw(context, chat.id, message.message_id, None, None)
        question_messages.done_with(context, message.message_id)
    await show(context, chat, reply, tidy=False, mention=user)


def _draw_picker(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, tapped: Any, data: ButtonData, reply: Reply
) -> None:
    """The review's "Change an answer" picker (or, from it, the review's buttons again)."""
    if not isinstance(tapped, Message) or reply.kind != REVIEW_REPLY:
        return
    lang = reply.language or chat_language(context, chat)
    if data.page == MAX_PICK:
        rendered = render(reply, lang, group=chat.type != ChatType.PRIVATE)
        markup = rendered.markup if isinstance(rendered.markup, InlineKeyboardMarkup) else None
    else:
        markup = picker(reply, lang, data.page)
    redraw(context, chat.id, tapped.message_id, None, markup)


def _advance_in_place(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    message: Message,
    reply: Reply,
    anew: Callable[[], Awaitable[None]],
) -> bool:
    """In a group, turn the tapped message into the next step ("Answered by …" on top).

    One edit instead of an edit and a new message: half the group's message budget. Not for
    a text question (ForceReply needs a new message), a step too long for one message, or an
    older copy of the question (after /resume): the next step goes where members look.
    """
    if reply.kind not in (QUESTION, REVIEW_REPLY):
        return False
    remembered = question_messages.current(context)
    if remembered and remembered["id"] != message.message_id:
        return False
    rendered = render(reply, reply.language or chat_language(context, chat), group=True)
    if len(rendered.chunks) != 1 or isinstance(rendered.markup, ForceReply):
        return False
    redraw(context, chat.id, message.message_id, rendered.chunks[0], rendered.markup, anew)
    remember(context, chat, message.message_id, rendered.chunks[0], reply)
    return True


# --- errors ----------------------------------------------------------------------------------


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
    user = update.effective_user if isinstance(update, Update) else None
    text = t("ui.error", chat_language(context, chat, user))
    try:
        await deliver(
            context, chat.id, "error notice", lambda: context.bot.send_message(chat.id, text)
        )
    except TelegramError as exc:
        logger.warning("Could not tell chat %s about the error: %s", chat.id, exc)


# --- the handler table -----------------------------------------------------------------------


def _decoded(
    callback: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]],
    decoder: Callable[[object], object | None],
    prefix: str,
) -> CallbackDataHandler:
    """The handler of the taps whose data ``decoder`` reads (data starting with ``prefix``)."""
    return CallbackDataHandler(callback, lambda data: decoder(data) is not None, prefix=prefix)


# Commands only on new messages: an edited "/plan" must not run again (edits are refused).
_NEW = filters.UpdateType.MESSAGE

COMMANDS = {
    "start": start,
    "plan": plan,
    "resume": plan,
    "back": back,
    "skip": skip,
    "summary": summary,
    "plans": plans,
    "restart": restart,
    "help": help_command,
    "cancel": cancel,
    "forget": forget,
    "language": language_command,
    "invite": invites.invite_command,
}

# (group, handler). Group -1 runs before the others for every update; within group 0 the
# first matching handler wins, so the order below matters (commands before the catch-alls).
# ``work.register`` puts /checklist, /tasks, /export and the work buttons ahead of these.
HANDLERS: tuple[tuple[int, BaseHandler[Update, Any, Any]], ...] = (
    (-1, TypeHandler(Update, note_reachable)),
    *((0, CommandHandler(name, callback, filters=_NEW)) for name, callback in COMMANDS.items()),
    (0, MessageHandler(_NEW & filters.StatusUpdate.MIGRATE, chat_migrated)),
    (0, MessageHandler(_NEW & filters.StatusUpdate.NEW_CHAT_MEMBERS, members_joined)),
    (0, MessageHandler(_NEW & filters.COMMAND, unknown_command)),
    (0, MessageHandler(_NEW & filters.TEXT, text_message)),
    (0, MessageHandler(_NEW & ~filters.StatusUpdate.ALL, non_text_message)),
    (0, MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_message)),
    (0, _decoded(forget_button, decode_forget, "f|")),
    (0, _decoded(language_button, decode_language, "l|")),
    (0, _decoded(restart_button, decode_restart, "x|")),
    (0, _decoded(result_button, decode_result, "r|")),
    (0, _decoded(invites.invite_button, decode_invite, "i|")),
    (0, CallbackQueryHandler(button)),
    (0, ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER)),
)
