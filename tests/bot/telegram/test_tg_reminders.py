"""Due dates, reminders and the review on Telegram (issue 17), through a real PTB Application
on the offline Bot API. The service and the sweep share a controllable clock; the sweep is
called directly, as the JobQueue would call it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram.ext import CallbackContext
from test_tg_work import finish_plan, telegram_chat
from tg_support import Bot

from bot.metrics import BOT_DATA_KEY as METRICS_KEY
from bot.metrics import Metrics
from bot.reminders import INTERVAL, sweep
from bot.telegram.offline import Member, buttons, forbidden, timed_out
from bot.telegram.reminders import (
    SWEEP_JOB,
    decode,
    encode,
    schedule_sweeps,
    sweep_job,
    telegram_sender,
)
from flows import events as ev
from flows.model import MemberRef
from flows.service import PlanningService
from flows.texts import t
from tests.flows.scenarios import EVENT

GROUP_ID = -1007001


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 20, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def _bot(make_bot: Any, store: Any, clock: Clock) -> Bot:
    bot: Bot = await make_bot(PlanningService(store, clock=clock))
    schedule_sweeps(bot.app, store, clock)  # as the runner does (the JobQueue is not started)
    return bot


def _labels(message: dict[str, Any]) -> list[str]:
    return [label for label, _ in buttons(message)]


def _first(message: dict[str, Any], label: str) -> str:
    """The callback data of the first button with ``label`` (the first task's)."""
    return next(data for text, data in buttons(message) if text == label)


async def _sweep(bot: Bot, store: Any, clock: Clock) -> None:
    await sweep(store, telegram_sender(bot.app.bot), clock)


async def test_due_date_from_the_board_then_reminder_buttons(make_bot: Any, store: Any) -> None:
    clock = Clock()
    bot = await _bot(make_bot, store, clock)
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member], EVENT)
    # The review of this one-day event (a week on) goes first; keep it out of the way.
    clock.now = datetime(2026, 11, 27, 8, tzinfo=UTC)  # 10:00 in Helsinki
    await _sweep(bot, store, clock)
    assert member.last()["text"].startswith(t("review.title_review"))
    clock.now = datetime(2026, 12, 1, 9, tzinfo=UTC)

    await member.say("/tasks")
    board = member.last()
    first_task = board["text"].splitlines()[2]
    await member.tap(board, _first(board, "📅"))
    choices = member.last()
    assert _labels(choices) == ["This week", "Next week", "In two weeks", "In a month"]
    await member.tap_label(choices, "Next week")
    assert first_task + " — due 13 Dec 2026" in member.last()["text"].splitlines()

    # A typed date: a past one is refused with the reason, a good one is set.
    await member.say("/due 1 1.11.2026")
    assert member.texts()[-1] == "1 Nov 2026 has already passed. Choose today or a later day."
    await member.say("/due 1 24.12.2026")
    assert first_task + " — due 24 Dec 2026" in member.last()["text"].splitlines()

    clock.now = datetime(2026, 12, 23, 8, tzinfo=UTC)
    await _sweep(bot, store, clock)
    reminder = member.last()
    assert reminder["text"].startswith("Reminder: ") and "tomorrow, 24 Dec 2026" in reminder["text"]
    assert _labels(reminder) == ["✅ Done", "⏰ Snooze a week", "🙅 Can't do it"]

    await member.tap_label(reminder, "⏰ Snooze a week")
    assert member.toasts()[-1] is not None and "31 Dec 2026" in (member.toasts()[-1] or "")
    assert _labels(member.request.messages[(member.chat_id, reminder["message_id"])]) == []
    clock.now = datetime(2026, 12, 30, 8, tzinfo=UTC)
    await _sweep(bot, store, clock)
    again = member.last()
    assert "tomorrow, 31 Dec 2026" in again["text"]
    await member.tap_label(again, "✅ Done")
    clock.now = datetime(2026, 12, 31, 9, tzinfo=UTC)
    sent = len(member.texts())
    await _sweep(bot, store, clock)
    assert len(member.texts()) == sent  # done: no reminder on the day


async def test_cant_do_it_frees_the_task_and_tells_the_chat(make_bot: Any, store: Any) -> None:
    clock = Clock()
    bot = await _bot(make_bot, store, clock)
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member], EVENT)
    clock.now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    await member.say("/tasks")
    board = member.last()
    await member.tap(board, _first(board, "✋"))
    await member.say("/due 1 3.12.")
    clock.now = datetime(2026, 12, 2, 8, tzinfo=UTC)
    await _sweep(bot, store, clock)
    reminder = next(m for m in reversed(member.messages()) if "tomorrow" in m.get("text", ""))
    await member.tap_label(reminder, "🙅 Can't do it")
    assert "can't do" in member.texts()[-1] and "It is free again" in member.texts()[-1]
    await member.say("/tasks")
    assert "✋" in _labels(member.last())  # free to take again


async def test_reminders_off_and_on_admins_only_in_groups(make_bot: Any, store: Any) -> None:
    clock = Clock()
    bot = await _bot(make_bot, store, clock)
    anna = Member(bot.app, bot.request, user_id=6001, chat_id=GROUP_ID, first_name="Anna")
    await bot.service.handle(telegram_chat(GROUP_ID), MemberRef("6001", "Anna"), ev.Start())
    await anna.say("/reminders off")
    assert anna.texts()[-1] == t("remind.admins_only")
    bot.request.member_status[(GROUP_ID, 6001)] = "administrator"
    await anna.say("/reminders off")
    assert anna.texts()[-1] == t("remind.off")
    await anna.say("/reminders")
    assert anna.texts()[-1] == t("remind.usage")
    await anna.say("/reminders on")
    assert anna.texts()[-1] == t("remind.on")


async def test_the_review_in_the_chat_and_its_answers_in_the_export(
    make_bot: Any, store: Any
) -> None:
    clock = Clock()
    bot = await _bot(make_bot, store, clock)
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member], EVENT)
    clock.now = datetime(2026, 11, 27, 8, tzinfo=UTC)  # 10:00 in Helsinki
    await _sweep(bot, store, clock)
    review = member.last()
    assert EVENT["success_measure"] in review["text"]
    assert _labels(review) == ["Yes", "Partly", "No"]
    await member.tap_label(review, "Partly")
    question = member.last()
    assert question["text"] == t("review.worked_question")
    reply = member.message(text="Great venue, late posters", reply_to_message=question)
    await member.send(member.update(message=reply))
    follow = member.last()
    assert follow["text"] == t("review.next_question")
    await member.tap_label(follow, "Continue")
    assert member.last()["text"] == t("review.thanks")

    await member.say("/export")
    export = "\n".join(member.texts()[-3:])
    assert "Great venue, late posters" in export and "Partly" in export and "Continue" in export


async def test_every_instance_schedules_the_sweep_every_minute(make_bot: Any, store: Any) -> None:
    bot = await _bot(make_bot, store, Clock())
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name(SWEEP_JOB)
    assert job.callback is sweep_job
    assert job.job.trigger.interval.total_seconds() == INTERVAL.total_seconds() == 60


async def test_reminder_time_by_command(make_bot: Any, store: Any) -> None:
    clock = Clock()
    bot = await _bot(make_bot, store, clock)
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member], EVENT)
    await member.say("/reminders 8")
    assert member.texts()[-1] == "Reminders come at 8:00, Europe/Helsinki time."
    await member.say("/reminders Mars/Base")
    assert member.texts()[-1] == t("remind.bad_zone", "en", zone="Mars/Base")
    await member.say("/reminders soon")
    assert member.texts()[-1] == t("remind.usage")


async def test_a_blocked_bot_stops_reminders_and_a_network_error_retries_later(
    make_bot: Any, store: Any, caplog: Any
) -> None:
    clock = Clock()
    bot = await _bot(make_bot, store, clock)
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member], EVENT)
    await member.say("/due 1 24.12.2026")
    # Telegram times out: the reminder stays unsent and goes out once its lease ran out.
    bot.request.fail("sendMessage", timed_out())
    clock.now = datetime(2026, 11, 27, 8, tzinfo=UTC)  # the review's time
    await _sweep(bot, store, clock)
    assert not member.last()["text"].startswith(t("review.title_review"))
    clock.now = datetime(2026, 11, 27, 8, 5, tzinfo=UTC)
    await _sweep(bot, store, clock)
    assert member.last()["text"].startswith(t("review.title_review"))
    # The member blocks the bot: one log line, and no more reminders for the chat.
    bot.request.fail("sendMessage", forbidden())
    clock.now = datetime(2026, 12, 23, 8, tzinfo=UTC)
    caplog.clear()
    await _sweep(bot, store, clock)
    stopped = [r for r in caplog.records if "reminders stopped" in r.getMessage()]
    assert len(stopped) == 1
    sent = len(bot.request.called("sendMessage"))
    clock.now = datetime(2026, 12, 24, 8, tzinfo=UTC)
    await _sweep(bot, store, clock)
    assert len(bot.request.called("sendMessage")) == sent


def test_reminder_callback_data_is_strict() -> None:
    assert decode(encode(12, "done")) == (12, "done")
    assert decode(encode(999_999_999_999, "reached:partly")) == (999_999_999_999, "reached:partly")
    for bad in ("m|12|explode", "m|x|done", "m|12|done|", "r|12|done", "", None, "m|12|next:maybe"):
        assert decode(bad) is None


async def test_the_sweep_job_counts_reminders_on_metrics(make_bot: Any, store: Any) -> None:
    """What /metrics shows after the JobQueue's sweep sent one reminder (the review)."""
    clock = Clock()
    bot = await _bot(make_bot, store, clock)
    metrics = Metrics()
    bot.app.bot_data[METRICS_KEY] = metrics
    member = bot.member
    await finish_plan(bot.service, member.chat_id, [member], EVENT)
    assert "partnerbot_reminders_claimed" not in metrics.exposition().decode()  # nothing swept yet
    clock.now = datetime(2026, 11, 27, 8, tzinfo=UTC)  # the one-day event's review is due
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name(SWEEP_JOB)
    await sweep_job(CallbackContext.from_job(job, bot.app))
    assert member.last()["text"].startswith(t("review.title_review"))
    shown = metrics.exposition().decode()
    assert "partnerbot_reminders_claimed_total 1.0" in shown
    assert "partnerbot_reminders_sent_total 1.0" in shown
