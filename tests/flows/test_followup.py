"""Due dates, reminder times and texts, reviews (issue 17): the pure part."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from flows import events as ev
from flows import reply as kinds
from flows.followup import (
    BEFORE,
    DUE,
    MIDTERM,
    QUICK_PICKS,
    REVIEW,
    parse_due,
    quick_pick,
    reminder_message,
    review_times,
    task_reminders,
)
from flows.model import US, MemberRef, TaskRecord
from flows.parse import Invalid
from flows.texts import languages, t
from flows.workboard import DUE as DUE_OPTION
from flows.workboard import PICK, apply_work
from tests.flows.scenarios import EVENT, play

ANNA = MemberRef("101", "Anna")
TODAY = date(2026, 11, 30)  # a Monday
NOW = "2026-11-30T09:00:00+00:00"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("24.12.", date(2026, 12, 24)),
        ("24.12.2026", date(2026, 12, 24)),
        ("24.12.26", date(2026, 12, 24)),
        ("2026-12-24", date(2026, 12, 24)),
        (" 1.3. ", date(2027, 3, 1)),  # this year's 1 March is past: next year's
        ("5.1.", date(2027, 1, 5)),
        ("30.11.", TODAY),  # today is fine
    ],
)
def test_typed_due_dates(text: str, day: date) -> None:
    assert parse_due(text, TODAY) == day


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("tomorrow", "due_format"),
        ("24/12/2026", "due_format"),
        ("", "due_format"),
        ("31.2.2027", "due_no_such_day"),
        ("2026-13-01", "due_no_such_day"),
        ("29.11.2026", "due_past"),
        ("2025-12-24", "due_past"),
    ],
)
def test_bad_and_past_due_dates_are_refused_with_a_reason(text: str, key: str) -> None:
    problem = parse_due(text, TODAY)
    assert isinstance(problem, Invalid) and problem.key == key


def test_quick_picks() -> None:
    assert quick_pick("this_week", TODAY) == date(2026, 12, 6)  # that Sunday
    assert quick_pick("next_week", TODAY) == date(2026, 12, 13)
    assert quick_pick("two_weeks", TODAY) == date(2026, 12, 14)
    assert quick_pick("month", TODAY) == date(2026, 12, 30)
    assert quick_pick("month", date(2027, 1, 31)) == date(2027, 2, 28)
    assert quick_pick("month", date(2026, 12, 15)) == date(2027, 1, 15)


def test_reminders_fall_the_day_before_and_on_the_day_at_the_local_hour() -> None:
    task = TaskRecord("event_venue", "prepare", US, None, due_on="2026-12-24")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    times = task_reminders([task], "Europe/Helsinki", 10, now)
    # Helsinki is UTC+2 in winter: 10:00 there is 08:00 UTC.
    assert times == [
        (BEFORE, "event_venue", datetime(2026, 12, 23, 8, tzinfo=UTC)),
        (DUE, "event_venue", datetime(2026, 12, 24, 8, tzinfo=UTC)),
    ]
    summer = replace(task, due_on="2027-06-15")
    assert task_reminders([summer], "Europe/Helsinki", 10, now)[1][2] == datetime(
        2027, 6, 15, 7, tzinfo=UTC
    )
    # Another zone and hour; done tasks and reminders already past get none.
    assert task_reminders([task], "America/New_York", 18, now)[1][2] == datetime(
        2026, 12, 24, 23, tzinfo=UTC
    )
    assert task_reminders([replace(task, done_by="Anna")], "Europe/Helsinki", 10, now) == []
    late = datetime(2026, 12, 23, 12, tzinfo=UTC)
    assert [k for k, _, _ in task_reminders([task], "Europe/Helsinki", 10, late)] == [DUE]


def test_review_90_days_after_a_week_for_one_day_and_midterm_for_a_year() -> None:
    finished = datetime(2026, 1, 10, 15, tzinfo=UTC)
    assert review_times(finished, "campaign", "Europe/Helsinki", 10) == [
        (REVIEW, datetime(2026, 4, 10, 7, tzinfo=UTC))  # summer time by then
    ]
    assert review_times(finished, "one_day", "Europe/Helsinki", 10) == [
        (REVIEW, datetime(2026, 1, 17, 8, tzinfo=UTC))
    ]
    kinds_ = [k for k, _ in review_times(finished, "about_year", "Europe/Helsinki", 10)]
    assert kinds_ == [REVIEW, MIDTERM]


def test_reminder_texts_and_buttons_in_every_language() -> None:
    for lang in languages():
        message = reminder_message(DUE, "event_venue", "2026-12-24", lang, late=False, name="Ann")
        assert t("task.event_venue", lang) in message.text and "Ann" in message.text
        assert [o.key for o in message.options] == ["done", "snooze", "cant"]
        assert all(len(o.label) <= 24 for o in message.options)
        late = reminder_message(BEFORE, "event_venue", "2026-12-24", lang, late=True)
        assert late.text.startswith(t("remind.late", lang))
    english = reminder_message(BEFORE, "event_venue", "2026-12-24", "en", late=False)
    assert english.text == f'Reminder: "{t("task.event_venue")}" is due tomorrow, 24 Dec 2026.'
    assert [o.label for o in english.options] == ["✅ Done", "⏰ Snooze a week", "🙅 Can't do it"]
    review = reminder_message(REVIEW, "", None, "en", late=False, success_measure="50 people")
    assert "50 people" in review.text
    assert [o.key for o in review.options] == ["reached:yes", "reached:partly", "reached:no"]


# --- the board ---------------------------------------------------------------------------


def _finished() -> tuple:  # type: ignore[type-arg]
    plan, outcomes = play(EVENT, ANNA)
    tasks = outcomes[-1].tasks
    assert tasks
    return plan, tasks


def _work(plan, tasks, event, today=TODAY):  # type: ignore[no-untyped-def]
    return apply_work(plan, tasks, [], ANNA, event, NOW, False, today)


def test_due_choices_then_a_quick_pick_sets_the_day_shown_on_the_board() -> None:
    plan, tasks = _finished()
    key = tasks[0].key
    board = _work(plan, tasks, ev.ShowTasks()).reply
    assert f"{DUE_OPTION}{key}" in [o.key for o in board.options]
    choices = _work(plan, tasks, ev.PickDue(key)).reply
    assert [o.key for o in choices.options] == [f"{PICK}{key}:{p}" for p in QUICK_PICKS]
    assert "/due 1 24.12." in choices.text
    outcome = _work(plan, tasks, ev.SetDue(key, "next_week"))
    assert outcome.tasks is not None and outcome.tasks[0].due_on == "2026-12-13"
    assert "1. " in outcome.reply.text and "due 13 Dec 2026" in outcome.reply.text
    assert t("due.set", "en", task=t(f"task.{key}"), day="13 Dec 2026") in outcome.reply.notes


def test_a_typed_date_by_task_number_and_a_past_one_refused_changing_nothing() -> None:
    plan, tasks = _finished()
    outcome = _work(plan, tasks, ev.SetDue("2", "24.12.2026"))
    assert outcome.tasks is not None and outcome.tasks[1].due_on == "2026-12-24"
    refused = _work(plan, tasks, ev.SetDue(tasks[0].key, "1.11.2026"))
    assert refused.tasks is None and refused.reply.kind == kinds.INVALID
    assert refused.reply.text == "1 Nov 2026 has already passed. Choose today or a later day."
    bad = _work(plan, tasks, ev.SetDue(tasks[0].key, "next friday"))
    assert bad.tasks is None and bad.reply.text == t("invalid.due_format")


def test_overdue_tasks_come_first_on_the_board() -> None:
    plan, tasks = _finished()
    late = replace(tasks[3], due_on="2026-11-20")
    tasks = [*tasks[:3], late, *tasks[4:]]
    lines = _work(plan, tasks, ev.ShowTasks()).reply.text.splitlines()
    assert lines[2].startswith(f"1. {t(f'task.{late.key}')}")
    assert lines[2].endswith("⚠ overdue since 20 Nov 2026")


def test_snooze_moves_the_day_a_week_and_cant_do_it_frees_the_task() -> None:
    plan, tasks = _finished()
    ours = next(x for x in tasks if x.owner == US)
    claimed = [
        replace(x, claimed_by="Anna", claimed_by_id="101", due_on="2026-12-01") if x == ours else x
        for x in tasks
    ]
    snoozed = _work(plan, claimed, ev.SnoozeTask(ours.key))
    assert snoozed.tasks is not None
    assert next(x for x in snoozed.tasks if x.key == ours.key).due_on == "2026-12-08"
    freed = _work(plan, claimed, ev.FreeTask(ours.key))
    assert freed.tasks is not None
    task = next(x for x in freed.tasks if x.key == ours.key)
    assert task.claimed_by is None and task.claimed_by_id is None
    name = t(f"task.{ours.key}")
    assert f'Anna can\'t do "{name}". It is free again: who can take it?' in freed.reply.notes


def test_the_export_shows_due_dates_and_review_answers() -> None:
    from jsonschema import Draft202012Validator

    from flows.agreement_text import markdown
    from flows.export import agreement, schema
    from flows.model import ReviewAnswer

    plan, tasks = _finished()
    dated = [replace(tasks[0], due_on="2026-12-24"), *tasks[1:]]
    review = [
        ReviewAnswer("review", "reached", "no", "Anna"),
        ReviewAnswer("review", "worked", "The venue", "Ben"),
    ]
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    doc = agreement(plan, dated, [], TODAY, now, review)
    Draft202012Validator(schema()).validate(doc)
    by_key = {x["key"]: x for x in doc["tasks"]}
    assert by_key[tasks[0].key]["due"] == "2026-12-24"
    assert doc["review"][0] == {
        "kind": "review",
        "question": "reached",
        "answer": "no",
        "by": "Anna",
    }
    text = markdown(doc)
    assert "24 Dec 2026" in text
    assert f"{t('export.review_reached')}: No (Anna)" in text
    assert f"{t('export.review_worked')}: The venue (Ben)" in text
