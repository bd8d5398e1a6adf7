"""Follow-through (issue 17): due dates, when reminders and reviews fall, and their texts.

Pure: every function takes the day or time it needs ("today", "now"); nothing reads a clock.
Times are UTC at the edges and local (the association's zone) only inside a computation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.model import TaskRecord
from flows.parse import Invalid
from flows.reply import Option
from flows.texts import format_day, t

DEFAULT_TIME_ZONE = "Europe/Helsinki"
DEFAULT_HOUR = 10

# Quick picks on the board, in the order shown.
QUICK_PICKS = ("this_week", "next_week", "two_weeks", "month")

# Reminder kinds: the day before a task is due, on the day; a review, a mid-term check.
BEFORE, DUE, REVIEW, MIDTERM = "before", "due", "review", "midterm"

REVIEW_AFTER = timedelta(days=90)
ONE_DAY_REVIEW_AFTER = timedelta(days=7)
MIDTERM_AFTER = timedelta(days=182)
# Partnerships of a year or more (the plan's "time_span" answer) get a mid-term check.
LONG_SPANS = ("about_year", "ongoing", "several_years")
SNOOZE = timedelta(days=7)
# A reminder sent this long after its time says it is late (the bot was down).
LATE_AFTER = timedelta(hours=1)

# Reminder buttons: the callback's action names.
DONE_ACTION, SNOOZE_ACTION, CANT_ACTION = "done", "snooze", "cant"
# Review answers.
REACHED = ("yes", "partly", "no")
NEXT_STEP = ("continue", "change", "end")

_DAY_MONTH = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def quick_pick(pick: str, today: date) -> date:
    """The day a quick pick means: the end of this or next week (Sunday), or a span from
    today (a month: the same day next month, or its last day)."""
    sunday = today + timedelta(days=6 - today.weekday())
    if pick == "this_week":
        return sunday
    if pick == "next_week":
        return sunday + timedelta(days=7)
    if pick == "two_weeks":
        return today + timedelta(days=14)
    if pick == "month":
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        for day in range(today.day, 27, -1):
            try:
                return date(year, month, day)
            except ValueError:
                continue
        return date(year, month, min(today.day, 28))
    raise ValueError(f"unknown quick pick {pick!r}")


def parse_due(text: str, today: date) -> date | Invalid:
    """A typed due date: ``24.12.`` (this year, or next year once the day has passed),
    ``24.12.2026``, ``24.12.26`` or ``2026-12-24``. A past day is refused, with the reason."""
    text = text.strip()
    iso, dotted = _ISO.match(text), _DAY_MONTH.match(text)
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif dotted:
            year_text = dotted[3]
            year = today.year if not year_text else int(year_text)
            if year_text and len(year_text) == 2:
                year += 2000
            day = date(year, int(dotted[2]), int(dotted[1]))
            if not year_text and day < today:
                day = date(today.year + 1, day.month, day.day)
        else:
            return Invalid("due_format")
    except ValueError:
        return Invalid("due_no_such_day", {"text": text})
    if day < today:
        return Invalid("due_past", {"day": day})
    return day


def valid_zone(name: str) -> bool:
    """Whether ``name`` is a time zone the system knows ("Europe/Helsinki")."""
    try:
        ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def local_today(now: datetime, time_zone: str) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def at_local_hour(day: date, hour: int, time_zone: str) -> datetime:
    """``hour`` o'clock on ``day`` in ``time_zone``, as UTC."""
    return datetime.combine(day, time(hour), ZoneInfo(time_zone)).astimezone(UTC)


def task_reminders(
    tasks: list[TaskRecord], time_zone: str, hour: int, now: datetime
) -> list[tuple[str, str, datetime]]:
    """(kind, task key, UTC time) of every reminder still ahead for tasks with a due day that
    are not done: the day before and on the day, at the association's hour."""
    due: list[tuple[str, str, datetime]] = []
    for task in tasks:
        if task.done_by or not task.due_on:
            continue
        day = date.fromisoformat(task.due_on)
        for kind, on in ((BEFORE, day - timedelta(days=1)), (DUE, day)):
            at = at_local_hour(on, hour, time_zone)
            if at > now:
                due.append((kind, task.key, at))
    return due


def reminders_moved(before: list[TaskRecord], after: list[TaskRecord]) -> bool:
    """Whether a change of the tasks changes their reminders: a due day set, moved or
    cleared, or a task with one done or undone. A claim alone moves none."""

    def due(tasks: list[TaskRecord]) -> set[tuple[str, str]]:
        return {(t.key, t.due_on) for t in tasks if t.due_on and not t.done_by}

    return due(before) != due(after)


def review_delay(time_span: str | None) -> timedelta:
    """How long after finishing the plan its review falls: a week for a one-day event."""
    return ONE_DAY_REVIEW_AFTER if time_span == "one_day" else REVIEW_AFTER


def review_times(
    finished: datetime, time_span: str | None, time_zone: str, hour: int
) -> list[tuple[str, datetime]]:
    """When the review (and for long partnerships the mid-term check) falls: 90 days after
    the plan was finished, a week for a one-day event (its day is about when it is finished:
    the plan has no separate event date)."""
    day = local_today(finished, time_zone)
    times = [(REVIEW, at_local_hour(day + review_delay(time_span), hour, time_zone))]
    if time_span in LONG_SPANS:
        times.append((MIDTERM, at_local_hour(day + MIDTERM_AFTER, hour, time_zone)))
    return times


@dataclass(frozen=True)
class ReminderMessage:
    text: str
    options: tuple[Option, ...]
    language: str


def reminder_message(
    kind: str,
    task_key: str,
    due_on: str | None,
    lang: str,
    *,
    late: bool,
    name: str | None = None,
    success_measure: str | None = None,
) -> ReminderMessage:
    """The text and buttons of a task reminder or a review."""
    lines = [t("remind.late", lang)] if late else []
    if kind in (BEFORE, DUE):
        day = format_day(date.fromisoformat(due_on), lang) if due_on else ""
        task_name = t(f"task.{task_key}", lang)
        key = "remind.tomorrow" if kind == BEFORE else "remind.today"
        lines.append(t(key, lang, task=task_name, day=day))
        if name:
            lines.append(t("remind.taken_by", lang, name=name))
        options = (
            Option(DONE_ACTION, t("remind.done", lang)),
            Option(SNOOZE_ACTION, t("remind.snooze", lang)),
            Option(CANT_ACTION, t("remind.cant", lang)),
        )
        return ReminderMessage("\n".join(lines), options, lang)
    lines.append(t(f"review.title_{kind}", lang))
    measure = success_measure or t("review.no_measure", lang)
    lines.append(t("review.reached_question", lang, measure=measure))
    options = tuple(Option(f"reached:{v}", t(f"review.reached_{v}", lang)) for v in REACHED)
    return ReminderMessage("\n".join(lines), options, lang)


def review_next(step: str, lang: str) -> ReminderMessage:
    """The review's next question after ``step`` was answered ("reached", "worked_us", …)."""
    if step == "reached":
        return ReminderMessage(t("review.worked_question", lang), (), lang)
    if step == "worked":
        options = tuple(Option(f"next:{v}", t(f"review.next_{v}", lang)) for v in NEXT_STEP)
        return ReminderMessage(t("review.next_question", lang), options, lang)
    return ReminderMessage(t("review.thanks", lang), (), lang)


def overdue_first(tasks: list[TaskRecord], today: date) -> list[TaskRecord]:
    """Tasks for the board: open overdue ones first (earliest first), the rest in order."""
    late = [x for x in tasks if x.due_on and not x.done_by and date.fromisoformat(x.due_on) < today]
    late.sort(key=lambda x: x.due_on or "")
    return late + [x for x in tasks if x not in late]
