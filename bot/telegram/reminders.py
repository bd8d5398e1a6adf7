"""Reminders and reviews on Telegram (issue 17).

- Every instance's JobQueue runs ``bot.reminders.sweep`` every ``INTERVAL`` (and once at
  start, so reminders that fell due while the bot was down go out at once, saying they are
  late). The sweep claims rows in the database, so instances never send one twice.
- Reminder buttons (``m|<reminder id>|<action>``) act on the plan's chat, also when pressed in
  a member's private chat: Done ticks the task, Snooze moves it a week, Can't do it frees it
  and tells the plan's chat. In a two-sided plan, pressed in the partner's chat they act on
  the partner's half (its side of the shared board), and Can't do it tells that chat.
  Review buttons store the answer and ask the next question; the "what worked" question is
  answered by replying to it.
- ``/due N DATE`` types a task's due date; ``/reminders on|off`` (admins only in groups).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.metrics import BOT_DATA_KEY as METRICS
from bot.reminders import INTERVAL, Delivery, Sender, sweep
from bot.telegram.admin import is_admin
from bot.telegram.callback_data import checked_size, fits
from bot.telegram.deps import deps
from bot.telegram.language import update_language
from bot.telegram.messages import say
from bot.telegram.refs import chat_ref, member_ref, sender_ref
from bot.telegram.taps import AnswerOnce, CallbackDataHandler
from flows import events as ev
from flows.followup import ReminderMessage
from flows.model import ChatRef, DueReminder
from flows.reply import Reply
from flows.texts import languages, t
from storage.store import SqlStore

logger = logging.getLogger(__name__)

PREFIX = "m"  # a reminder (memo); r| is the result buttons'
PATTERN = rf"^{PREFIX}\|"
_DATA = re.compile(
    rf"{PREFIX}\|(\d{{1,12}})\|(done|snooze|cant|reached:(?:yes|partly|no)"
    r"|next:(?:continue|change|end))",
    re.ASCII,
)
_STORE = "reminder_store"
_CLOCK = "reminder_clock"
SWEEP_JOB = "reminder-sweep"


def encode(reminder_id: int, action: str) -> str:
    return checked_size(f"{PREFIX}|{reminder_id}|{action}")


def decode(raw: object) -> tuple[int, str] | None:
    if not fits(raw):
        return None
    match = _DATA.fullmatch(raw)
    return (int(match[1]), match[2]) if match else None


def keyboard(reminder_id: int, message: ReminderMessage) -> InlineKeyboardMarkup | None:
    """Task reminders: a button a row (long labels); review choices: one row."""
    buttons = [
        InlineKeyboardButton(o.label, callback_data=encode(reminder_id, o.key))
        for o in message.options
    ]
    if not buttons:
        return None
    if ":" in message.options[0].key:
        return InlineKeyboardMarkup([buttons])
    return InlineKeyboardMarkup([[b] for b in buttons])


def telegram_sender(bot: Any) -> Sender:
    """Sends a reminder; tells the sweep when the chat is gone for good."""

    async def send(chat: ChatRef, due: DueReminder, message: ReminderMessage) -> Delivery:
        try:
            await bot.send_message(
                int(chat.chat_id), message.text, reply_markup=keyboard(due.id, message)
            )
        except Forbidden:  # blocked, or removed from the group
            return Delivery.GONE
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return Delivery.GONE
            logger.warning("Reminder %s not sent to chat %s: %s", due.id, chat.chat_id, exc)
            return Delivery.FAILED
        except TelegramError as exc:  # network trouble: the lease runs out, it is sent later
            logger.warning("Reminder %s not sent to chat %s: %s", due.id, chat.chat_id, exc)
            return Delivery.FAILED
        return Delivery.SENT

    return send


def _utc_now() -> datetime:
    return datetime.now(UTC)


def schedule_sweeps(
    app: Application[Any, Any, Any, Any, Any, Any],
    store: SqlStore,
    clock: Callable[[], datetime] = _utc_now,
) -> None:
    """Sweep for due reminders every INTERVAL, the first time right at start."""
    app.bot_data[_STORE] = store
    app.bot_data[_CLOCK] = clock
    if app.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot's job-queue extra is missing")
    app.job_queue.run_repeating(
        sweep_job, interval=INTERVAL.total_seconds(), first=0, name=SWEEP_JOB
    )


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    store: SqlStore = context.bot_data[_STORE]
    counts = await sweep(store, telegram_sender(context.bot), context.bot_data[_CLOCK])
    metrics = context.bot_data.get(METRICS)  # set by the production bot, not in tests
    if metrics is not None:
        metrics.reminders(claimed=counts.claimed, sent=counts.sent)
    if counts.claimed:
        logger.info("Reminders: %d claimed, %d sent", counts.claimed, counts.sent)


def _as_chat(chat: ChatRef) -> ChatRef:
    """``chat`` with its kind (Telegram's group ids are negative)."""
    kind = "group" if chat.chat_id.startswith("-") else "private"
    return ChatRef(chat.transport, chat.chat_id, kind)


def _acting_side(due: DueReminder, tapped_in: str | None) -> tuple[ChatRef, int]:
    """The chat and plan a task reminder's button acts on: the partner's half when tapped in
    the partner's chat, or in the private chat of the partner's member who took a task of the
    partner's (the shared board then lets them tick it as the partner's side); else the plan's
    chat, as the plan's side, wherever it was tapped."""
    half, half_plan = due.partner_chat, due.partner_plan_id
    partner_side = tapped_in is not None and (
        (half is not None and tapped_in == half.chat_id)
        or (due.partner_task and tapped_in == due.claimed_by_id)
    )
    if partner_side and half is not None and half_plan is not None:
        return _as_chat(half), half_plan
    return _as_chat(due.chat), due.plan_id


async def reminder_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a reminder's or a review's button. Always answers the query."""
    query = update.callback_query
    if query is None:
        return
    lang = update_language(update, context)
    async with AnswerOnce(query, context) as tap:
        parsed = decode(query.data)
        store: SqlStore | None = context.bot_data.get(_STORE)
        due = await store.due_reminder(parsed[0]) if parsed and store else None
        if parsed is None or due is None or query.from_user is None:
            tap.toast = t("ui.bad_button", lang)
            return
        _, action = parsed
        service = deps(context).service
        member = member_ref(query.from_user)
        plan_chat = _as_chat(due.chat)
        if ":" in action:  # a review answer
            step, value = action.split(":")
            reply = await service.review_answer(
                plan_chat, member, due.plan_id, due.kind, step, value
            )
            await tap.answer()
            await _drop_buttons(query.message)
            await _ask(context, int(plan_chat.chat_id), reply, force_reply=step == "reached")
            return
        event = {
            "done": ev.TickTask(due.task_key, True),
            "snooze": ev.SnoozeTask(due.task_key),
            "cant": ev.FreeTask(due.task_key),
        }[action]
        tapped_in = None if query.message is None else str(query.message.chat.id)
        plan_chat, plan_id = _acting_side(due, tapped_in)
        reply = await service.handle(plan_chat, member, event, plan_id=plan_id)
        note = reply.notes[0] if reply.notes else reply.text
        await tap.answer(note[:200])
        if reply.changed:
            await _drop_buttons(query.message)
            if action == "cant":  # the chat hears that the task is free again
                await context.bot.send_message(int(plan_chat.chat_id), note)


async def _drop_buttons(message: object) -> None:
    if isinstance(message, Message):
        with contextlib.suppress(TelegramError):  # too old, or already without: nothing to do
            await message.edit_reply_markup(reply_markup=None)


async def _ask(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, *, force_reply: bool
) -> None:
    markup: Any = None
    if reply.options and reply.plan_id is not None:
        # The review's later buttons name the plan: the reminder has done its part.
        buttons = [
            InlineKeyboardButton(o.label, callback_data=f"v|{reply.plan_id}|{o.key}")
            for o in reply.options
        ]
        markup = InlineKeyboardMarkup([buttons])
    elif force_reply:
        markup = ForceReply(selective=False)
    await context.bot.send_message(chat_id, reply.text, reply_markup=markup)


# --- the review's later steps (buttons carry the plan id, not a reminder id) -----------------

_NEXT = re.compile(r"v\|(\d{1,12})\|next:(continue|change|end)", re.ASCII)


async def review_next_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    lang = update_language(update, context)
    async with AnswerOnce(query, context) as tap:
        match = _NEXT.fullmatch(query.data) if fits(query.data) else None
        if match is None:
            tap.toast = t("ui.bad_button", lang)
            return
        reply = await deps(context).service.review_answer(
            chat_ref(chat), member_ref(query.from_user), int(match[1]), None, "next", match[2]
        )
        await tap.answer()
        await _drop_buttons(query.message)
        await _ask(context, chat.id, reply, force_reply=False)


@cache
def _worked_questions() -> frozenset[str]:
    return frozenset(t("review.worked_question", lang) for lang in languages())


class _ReviewReply(filters.MessageFilter):
    """A reply to the review's "what worked" question."""

    def filter(self, message: Message) -> bool:
        asked = message.reply_to_message
        return asked is not None and (asked.text or "") in _worked_questions()


async def review_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, chat, member = update.message, update.effective_chat, sender_ref(update)
    if message is None or chat is None or member is None or not message.text:
        return
    reply = await deps(context).service.review_answer(
        chat_ref(chat), member, None, None, "worked", message.text
    )
    await _ask(context, chat.id, reply, force_reply=False)
    raise ApplicationHandlerStop  # not an answer to the questionnaire


# --- commands --------------------------------------------------------------------------------


async def reminders_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/reminders on|off``: in a group, for its admins only."""
    message, chat, member = update.message, update.effective_chat, sender_ref(update)
    if message is None or chat is None or member is None:
        return
    args = (message.text or "").split()[1:]
    if len(args) != 1:
        await message.reply_text(t("remind.usage", update_language(update, context)))
        return
    if not await is_admin(update, context):
        await message.reply_text(t("remind.admins_only", update_language(update, context)))
        return
    service, arg = deps(context).service, args[0]
    if arg.lower() in ("on", "off"):
        reply = await service.set_reminders(chat_ref(chat), arg.lower() == "on", member)
    elif arg.isdigit():
        reply = await service.set_remind_time(chat_ref(chat), member, hour=int(arg))
    elif "/" in arg:
        reply = await service.set_remind_time(chat_ref(chat), member, zone=arg)
    else:
        reply = Reply(kind="invalid", text=t("remind.usage", update_language(update, context)))
    await message.reply_text(reply.text)


async def due_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/due N DATE``: the due date of the board's task number N."""
    message, chat, member = update.message, update.effective_chat, sender_ref(update)
    if message is None or chat is None or member is None:
        return
    args = (message.text or "").split(maxsplit=2)[1:]
    if len(args) != 2 or not args[0].isdigit():
        await say(update, context, "invalid.due_usage")
        return
    from bot.telegram.work import show_view

    reply = await deps(context).service.handle(chat_ref(chat), member, ev.SetDue(*args))
    await show_view(context, chat, reply)


_NEW = filters.UpdateType.MESSAGE
COMMANDS = {"due": due_command, "reminders": reminders_command}
# The commands are added (and put in the menu) with the work commands (bot.telegram.work).
HANDLERS: tuple[BaseHandler[Update, Any, Any], ...] = (
    MessageHandler(_NEW & filters.TEXT & ~filters.COMMAND & _ReviewReply(), review_reply),
    CallbackDataHandler(reminder_button, PATTERN, prefix=f"{PREFIX}|"),
    CallbackDataHandler(review_next_button, r"^v\|", prefix="v|"),
)
