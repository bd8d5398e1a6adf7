"""Due dates, reminder rows, the sweep and reviews on a real database (issue 17).

A controllable clock drives everything: the service's and the sweep's ``now`` are the same
settable value, and the sweep is called directly (the JobQueue only calls it repeatedly).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.reminders import Delivery, sweep
from flows import events as ev
from flows import reply as kinds
from flows.followup import ReminderMessage
from flows.model import ChatRef, DueReminder, MemberRef
from flows.service import PlanningService
from flows.texts import t
from storage.store import SqlStore
from tests.flows.languages import typed_answer

GROUP = ChatRef("telegram", "-100", "group", "Green Club")
ANNA = MemberRef("101", "Anna", language="en")
ANNAS_OWN = ChatRef("telegram", "101", "private", "Anna")


@dataclass
class Clock:
    now: datetime = datetime(2026, 12, 1, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outbox:
    """Records what the sweep sends; answers ``Delivery.GONE`` for the chats in ``gone``."""

    sent: list[tuple[ChatRef, DueReminder, ReminderMessage]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)

    async def __call__(self, chat: ChatRef, due: DueReminder, msg: ReminderMessage) -> Delivery:
        if chat.chat_id in self.gone:
            return Delivery.GONE
        self.sent.append((chat, due, msg))
        return Delivery.SENT

    def texts(self) -> list[str]:
        return [msg.text for _, _, msg in self.sent]


async def _play_in_group(service: PlanningService) -> None:
    """Anna answers every question in the group; a scale's one vote is closed at once."""
    reply = await service.handle(GROUP, ANNA, ev.Start())
    voted = None
    for _ in range(120):
        if reply.kind == kinds.RESULT:
            return
        if reply.kind == kinds.REVIEW:
            event: ev.Event = ev.Finish()
        elif reply.question_kind == "scale" and reply.question == voted:
            event = ev.Done(voted, use=reply.spread)  # close the vote: one voter
        else:
            event = ev.Text(typed_answer(reply, "en"))
            voted = reply.question
        reply = await service.handle(GROUP, ANNA, event)
        assert reply.kind not in (kinds.INVALID, kinds.STALE), reply.text
    raise AssertionError("the plan did not finish")


FINISHED = datetime(2026, 11, 1, 9, tzinfo=UTC)


async def _finished_plan(
    store: SqlStore, clock: Clock, *, review_done: bool = True
) -> tuple[PlanningService, str]:
    """A group's plan finished on FINISHED (a one-day event: reviewed a week later). With
    ``review_done`` its review is sent and the clock stands at 1 December, 09:00 UTC."""
    service = PlanningService(store, clock=clock)
    clock.now = FINISHED
    await _play_in_group(service)
    if review_done:
        clock.now = datetime(2026, 11, 10, tzinfo=UTC)
        assert (await sweep(store, Outbox(), clock)).sent == 1
        clock.now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    board = await service.handle(GROUP, ANNA, ev.ShowTasks())
    first = next(o.key for o in board.options if o.key.startswith("tick:"))
    return service, first.removeprefix("tick:")


async def test_a_due_date_gives_two_reminders_sent_once_each(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    service, key = await _finished_plan(store, clock)
    reply = await service.handle(GROUP, ANNA, ev.SetDue(key, "24.12."))
    assert "due 24 Dec 2026" in reply.text

    clock.now = datetime(2026, 12, 23, 7, 59, tzinfo=UTC)  # 09:59 in Helsinki
    assert (await sweep(store, outbox, clock)).claimed == 0
    clock.now = datetime(2026, 12, 23, 8, 0, tzinfo=UTC)
    counts = await sweep(store, outbox, clock)
    assert (counts.claimed, counts.sent) == (1, 1)
    name = t(f"task.{key}")
    assert outbox.texts() == [f'Reminder: "{name}" is due tomorrow, 24 Dec 2026.']
    assert [o.label for o in outbox.sent[0][2].options] == [
        "✅ Done",
        "⏰ Snooze a week",
        "🙅 Can't do it",
    ]
    assert outbox.sent[0][0] == ChatRef("telegram", "-100")  # the plan's chat
    assert (await sweep(store, outbox, clock)).claimed == 0  # sent: never again

    clock.now = datetime(2026, 12, 24, 8, 30, tzinfo=UTC)
    await sweep(store, outbox, clock)
    assert outbox.texts()[1] == f'Reminder: "{name}" is due today, 24 Dec 2026.'


async def test_after_downtime_a_reminder_is_sent_once_and_says_it_is_late(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    service, key = await _finished_plan(store, clock)
    await service.handle(GROUP, ANNA, ev.SetDue(key, "24.12."))
    clock.now = datetime(2026, 12, 26, 12, tzinfo=UTC)  # both were due while the bot was down
    counts = await sweep(store, outbox, clock)
    assert counts.sent == 2 and (await sweep(store, outbox, clock)).sent == 0
    assert all(text.startswith(t("remind.late")) for text in outbox.texts())


async def test_a_claimed_task_is_reminded_privately_when_its_member_has_a_chat(
    store: SqlStore,
) -> None:
    clock, outbox = Clock(), Outbox()
    service, key = await _finished_plan(store, clock)
    board = await service.handle(GROUP, ANNA, ev.ShowTasks())
    claim = next(o.key for o in board.options if o.key.startswith("claim:"))
    key = claim.removeprefix("claim:")
    await service.handle(GROUP, ANNA, ev.ClaimTask(key))
    await service.handle(GROUP, ANNA, ev.SetDue(key, "24.12."))
    clock.now = datetime(2026, 12, 23, 8, tzinfo=UTC)
    await sweep(store, outbox, clock)
    # No private chat with the bot yet: the group, naming who took it.
    assert outbox.sent[0][0].chat_id == "-100" and "Anna took this task." in outbox.texts()[0]

    await service.handle(ANNAS_OWN, ANNA, ev.Start())  # Anna starts a private chat
    clock.now = datetime(2026, 12, 24, 8, tzinfo=UTC)
    await sweep(store, outbox, clock)
    assert outbox.sent[1][0] == ChatRef("telegram", "101")
    assert outbox.sent[1][1].chat.chat_id == "-100"  # the buttons act on the group's plan


async def test_done_snooze_and_cant_do_it_from_a_reminder(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    service, key = await _finished_plan(store, clock)
    await service.handle(GROUP, ANNA, ev.ClaimTask(key))
    await service.handle(GROUP, ANNA, ev.SetDue(key, "24.12."))
    # Snooze a week: the day moves, the reminders with it.
    reply = await service.handle(GROUP, ANNA, ev.SnoozeTask(key))
    assert t("remind.snoozed", "en", task=t(f"task.{key}"), day="31 Dec 2026") in reply.notes
    clock.now = datetime(2026, 12, 24, 9, tzinfo=UTC)
    assert (await sweep(store, outbox, clock)).sent == 0
    clock.now = datetime(2026, 12, 30, 8, tzinfo=UTC)
    assert "tomorrow, 31 Dec 2026" in outbox.texts()[0] if await sweep(store, outbox, clock) else 0
    # Can't do it: the task is free again, and the chat is told.
    reply = await service.handle(GROUP, ANNA, ev.FreeTask(key))
    name = t(f"task.{key}")
    assert f'Anna can\'t do "{name}". It is free again: who can take it?' in reply.notes
    async with store.session(GROUP) as session:
        plan = await session.current_plan()
        assert plan is not None and plan.id is not None
        task = next(x for x in await session.tasks(plan.id) if x.key == key)
    assert task.claimed_by is None and task.due_on == "2026-12-31"
    # Done: no reminder for it on its day.
    await service.handle(GROUP, ANNA, ev.TickTask(key, True))
    clock.now = datetime(2026, 12, 31, 9, tzinfo=UTC)
    assert (await sweep(store, outbox, clock)).sent == 0


async def test_reminders_off_and_on_per_chat(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    service, key = await _finished_plan(store, clock)
    await service.handle(GROUP, ANNA, ev.SetDue(key, "24.12."))
    reply = await service.set_reminders(GROUP, False, ANNA)
    assert reply.text == t("remind.off")
    clock.now = datetime(2026, 12, 23, 9, tzinfo=UTC)
    assert (await sweep(store, outbox, clock)).claimed == 0
    assert (await service.set_reminders(GROUP, True, ANNA)).text == t("remind.on")
    assert (await sweep(store, outbox, clock)).sent == 1
    assert (await service.set_reminders(ChatRef("telegram", "5"), True, ANNA)).text == t(
        "ui.no_plan"
    )


async def test_a_blocked_bot_stops_the_chats_reminders_with_one_log_line(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock, outbox = Clock(), Outbox(gone={"-100"})
    service, key = await _finished_plan(store, clock)
    await service.handle(GROUP, ANNA, ev.SetDue(key, "24.12."))
    clock.now = datetime(2026, 12, 26, 9, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="bot.reminders"):
        counts = await sweep(store, outbox, clock)
    assert counts.stopped == 1 and outbox.sent == []  # the second is not even claimed
    assert [r.getMessage() for r in caplog.records] == [
        "reminders stopped for chat -100: the bot cannot write there"
    ]
    async with store.session(GROUP) as session:
        assert not (await session.follow_settings()).reminders


async def test_the_review_opens_on_its_day_and_its_answers_reach_the_export(
    store: SqlStore,
) -> None:
    clock, outbox = Clock(), Outbox()
    service, _ = await _finished_plan(store, clock, review_done=False)
    # The plan is a one-day event: its review is a week after it was finished.
    clock.now += timedelta(days=6)
    assert (await sweep(store, outbox, clock)).sent == 0
    clock.now += timedelta(days=1)
    await sweep(store, outbox, clock)
    [(chat, due, msg)] = outbox.sent
    assert chat.chat_id == "-100" and due.kind == "review"
    assert msg.text.startswith(t("review.title_review"))
    assert due.success_measure and due.success_measure in msg.text
    assert [o.key for o in msg.options] == ["reached:yes", "reached:partly", "reached:no"]

    plan_id = due.plan_id
    step = await service.review_answer(GROUP, ANNA, plan_id, "review", "reached", "partly")
    assert step.text == t("review.worked_question")
    step = await service.review_answer(GROUP, ANNA, plan_id, "review", "worked", "Good venue")
    assert [o.key for o in step.options] == ["next:continue", "next:change", "next:end"]
    step = await service.review_answer(GROUP, ANNA, plan_id, "review", "next", "continue")
    assert step.text == t("review.thanks")

    doc = await service.agreement(GROUP)
    assert isinstance(doc, dict)
    assert [(r["question"], r["answer"], r["by"]) for r in doc["review"]] == [
        ("reached", "partly", "Anna"),
        ("worked", "Good venue", "Anna"),
        ("next", "continue", "Anna"),
    ]
    # And it is reviewed once: finishing is not repeated, the row is not sent again.
    clock.now += timedelta(days=30)
    assert (await sweep(store, outbox, clock)).sent == 0


async def test_the_association_sets_its_reminder_hour_and_time_zone(store: SqlStore) -> None:
    clock, outbox = Clock(), Outbox()
    service, key = await _finished_plan(store, clock)
    await service.handle(GROUP, ANNA, ev.SetDue(key, "24.12."))
    reply = await service.set_remind_time(GROUP, ANNA, zone="Europe/Lisbon")
    assert reply.text == "Reminders come at 10:00, Europe/Lisbon time."
    reply = await service.set_remind_time(GROUP, ANNA, hour=18)
    assert reply.text == "Reminders come at 18:00, Europe/Lisbon time."
    bad = await service.set_remind_time(GROUP, ANNA, zone="Europe/Atlantis")
    assert bad.text == t("remind.bad_zone", "en", zone="Europe/Atlantis")
    async with store.session(GROUP) as session:
        settings = await session.follow_settings()
    assert (settings.time_zone, settings.hour) == ("Europe/Lisbon", 18)
    # The reminders still ahead moved: 18:00 in Lisbon is 18:00 UTC in December.
    clock.now = datetime(2026, 12, 23, 17, 59, tzinfo=UTC)
    assert (await sweep(store, outbox, clock)).claimed == 0
    clock.now = datetime(2026, 12, 23, 18, tzinfo=UTC)
    assert (await sweep(store, outbox, clock)).sent == 1


async def _reminders(store: SqlStore) -> list[tuple]:  # type: ignore[type-arg]
    from sqlalchemy import select

    from storage.models import ReminderRow

    async with store.engine.connect() as conn:
        found = await conn.execute(
            select(ReminderRow.id, ReminderRow.kind, ReminderRow.task_key, ReminderRow.due_at)
        )
        return sorted(tuple(row) for row in found)


async def test_a_claim_keeps_the_reminders_and_writes_the_board_once(store: SqlStore) -> None:
    """Taking a task moves no due day: its reminders stay the same rows, and on PostgreSQL the
    tap costs the reads, then BEGIN, one statement writing the plan and its tasks, COMMIT."""
    clock = Clock()
    service, key = await _finished_plan(store, clock)
    await service.handle(GROUP, ANNA, ev.SetDue(key, "24.12."))
    before = await _reminders(store)
    assert [row[1:3] for row in before if row[2]] == [("before", key), ("due", key)]

    trips = store.driver.round_trips
    reply = await service.handle(GROUP, ANNA, ev.ClaimTask(key))
    used = store.driver.round_trips - trips
    assert reply.kind == kinds.BOARD and "Anna" in reply.text
    assert await _reminders(store) == before
    if store.driver.dialect == "postgresql":
        # Reads: the plan, the chat's time zone, the partner link, tasks, checklist.
        assert used == 5 + 3

    # Done: its reminders go (the review stays).
    await service.handle(GROUP, ANNA, ev.TickTask(key, True))
    assert [row for row in await _reminders(store) if row[2]] == []
    assert [row for row in await _reminders(store) if not row[2]] == [r for r in before if not r[2]]
