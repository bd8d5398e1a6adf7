"""After planning: the checklist and the task board, ticked and claimed from a phone.

Pure like ``flows.conversation``: given the plan, its tasks and checklist as stored, an event
gives a Reply and, when something changed, the new tasks or checklist to store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from flows import checklist
from flows import events as ev
from flows import reply as kinds
from flows.followup import QUICK_PICKS, SNOOZE, overdue_first, parse_due, quick_pick
from flows.model import DONE, TOGETHER, US, ChecklistRecord, MemberRef, Plan, TaskRecord
from flows.parse import Invalid
from flows.render import invalid_reply, notice, owner_text
from flows.reply import Option, Reply
from flows.tasks import is_joint
from flows.texts import format_day, has, t

CLAIM = "claim:"
TICK = "tick:"
DUE = "due:"  # the due-date choices of a task
PICK = "pick:"  # a quick pick: "pick:<task>:<pick>"


@dataclass
class WorkOutcome:
    reply: Reply
    tasks: list[TaskRecord] | None = None  # set when the tasks changed
    checklist: list[ChecklistRecord] | None = None  # set when the checklist changed

    @property
    def changed(self) -> bool:
        return self.tasks is not None or self.checklist is not None


def plan_forms(plan: Plan) -> tuple[str, ...]:
    result = plan.meta.get("result") or {}
    if plan.status != DONE or not result:
        return ()
    return tuple(f for f in (result.get("form"), result.get("combined_with")) if f)


def item_label(item: ChecklistRecord, lang: str) -> str:
    return item.label if item.label is not None else t(f"check.{item.key}", lang)


def checklist_reply(
    plan: Plan, items: Sequence[ChecklistRecord], page: int, group: bool, **extra: object
) -> Reply:
    """One page of the checklist: numbered lines (who ticked an item comes first, so a narrow
    screen cuts the end of the item, not the name), and one option per item, labelled with
    its number."""
    lang = plan.language
    shown, page = checklist.page_of(items, page)
    first = page * checklist.PAGE_SIZE + 1
    done = sum(item.done for item in items)
    lines = [t("check.title", lang, done=done, total=len(items))]
    if not plan_forms(plan):
        lines.append(t("check.preparation_only", lang))
    lines.append("")
    options = []
    for number, item in enumerate(shown, start=first):
        label = item_label(item, lang)
        if group and item.done_by:
            label = t("check.done_by", lang, label=label, name=item.done_by)
        lines.append(f"{number}. {'☑' if item.done else '☐'} {label}")
        options.append(Option(item.key, str(number), item.done))
    return Reply(
        kind=kinds.CHECKLIST,
        text="\n".join(lines),
        options=tuple(options),
        plan_id=plan.id,
        version=plan.version,
        page=(page, checklist.pages(len(items))),
        **extra,  # type: ignore[arg-type]
    )


def task_short(key: str, number: int, lang: str) -> str:
    """A task's button label: its short name, numbered like its line in the text."""
    short = f"task_short.{key}"
    return f"{number}. {t(short, lang)}" if has(short, lang) else str(number)


def _task_line(number: int, task: TaskRecord, lang: str, today: date | None) -> str:
    name = t(f"task.{task.key}", lang)
    if task.done_by:  # the name first: a narrow screen cuts the end of a line
        return t("board.done_line", lang, number=number, name=task.done_by, task=name)
    owner = owner_text(task, lang)
    if task.claimed_by:
        owner = t("board.claimed", lang, party=owner, name=task.claimed_by)
    line = t("board.line", lang, number=number, task=name, owner=owner)
    if task.due_on:
        day = date.fromisoformat(task.due_on)
        late = today is not None and day < today
        due = t("board.overdue" if late else "board.due", lang, day=format_day(day, lang))
        line = f"{line} — {due}"
    return line


def board_reply(
    plan: Plan,
    tasks: Sequence[TaskRecord],
    page: int,
    today: date | None = None,
    **extra: object,
) -> Reply:
    """One page of the task board: a line per task (overdue ones first, with their due days),
    and per task a tick option (its short name), a due-date option, and, for a task of our
    side nobody has taken, a claim option."""
    lang = plan.language
    if today is not None:
        tasks = overdue_first(list(tasks), today)
    shown, page = _page(tasks, page)
    first = page * checklist.PAGE_SIZE + 1
    done = sum(1 for task in tasks if task.done_by)
    lines = [t("board.title", lang, done=done, total=len(tasks)), ""]
    options: list[Option] = []
    for number, task in enumerate(shown, start=first):
        lines.append(_task_line(number, task, lang, today))
        options.append(
            Option(TICK + task.key, task_short(task.key, number, lang), bool(task.done_by))
        )
        if not task.done_by:
            options.append(Option(DUE + task.key, t("board.due_button", lang)))
        if _ours_to_take(task) and not task.claimed_by and not task.done_by:
            options.append(Option(CLAIM + task.key, t("board.claim", lang)))
    return Reply(
        kind=kinds.BOARD,
        text="\n".join(lines),
        options=tuple(options),
        plan_id=plan.id,
        version=plan.version,
        page=(page, checklist.pages(len(tasks))),
        **extra,  # type: ignore[arg-type]
    )


def _ours_to_take(task: TaskRecord) -> bool:
    """Our members can take our tasks and the joint ones (we do our part of those)."""
    return task.owner in (US, TOGETHER) or is_joint(task)


def _page(tasks: Sequence[TaskRecord], page: int) -> tuple[list[TaskRecord], int]:
    page = min(max(page, 0), checklist.pages(len(tasks)) - 1)
    size = checklist.PAGE_SIZE
    return list(tasks[page * size : (page + 1) * size]), page


def apply_work(
    plan: Plan,
    tasks: Sequence[TaskRecord],
    stored: Sequence[ChecklistRecord],
    member: MemberRef,
    event: ev.Work,
    now: str,
    group: bool,
    today: date | None = None,
    two_sided: bool = False,
) -> WorkOutcome:
    """``today`` is the day in the association's time zone (default: ``now``'s UTC day).
    ``two_sided``: the board is shared with a partner that ticks its own tasks, so a member
    ticks only the tasks of its side and the joint ones (``tasks`` are as the member's side
    reads them: "us" is that side)."""
    lang = plan.language
    today = today or datetime.fromisoformat(now).date()
    items = checklist.items(stored, plan_forms(plan))
    match event:
        case ev.ShowChecklist(page=page):
            return WorkOutcome(checklist_reply(plan, items, page, group))
        case ev.TickItem(item=key, done=done, page=page):
            ticked = checklist.tick(items, key, done, member.name, now)
            if ticked is None:  # the list changed since the button was drawn
                reply = checklist_reply(plan, items, page, group, notes=(t("check.stale", lang),))
                return WorkOutcome(replace(reply, kind=kinds.STALE))
            if ticked == items:  # already as asked (a repeated tap): nothing to write
                return WorkOutcome(checklist_reply(plan, items, page, group))
            return WorkOutcome(
                checklist_reply(plan, ticked, page, group, changed=True), checklist=ticked
            )
        case ev.AddItem(text=text):
            added = checklist.add(items, text)
            if isinstance(added, Invalid):
                return WorkOutcome(invalid_reply(None, added, lang))
            last = checklist.pages(len(added)) - 1
            return WorkOutcome(
                checklist_reply(plan, added, last, group, changed=True), checklist=added
            )
    if not tasks:
        return WorkOutcome(notice(kinds.INFO, "board.no_tasks", lang, plan))
    match event:
        case ev.ShowTasks(page=page):
            return WorkOutcome(board_reply(plan, tasks, page, today))
        case ev.ClaimTask(task=key, page=page):
            task = next((task for task in tasks if task.key == key), None)
            if task is None:
                return WorkOutcome(notice(kinds.STALE, "ui.bad_button", lang, plan))
            if not _ours_to_take(task):
                return WorkOutcome(notice(kinds.INVALID, "board.partners_task", lang, plan))
            if task.claimed_by:
                return WorkOutcome(
                    notice(kinds.CONFLICT, "board.taken", lang, plan, name=task.claimed_by)
                )
            claimed = [
                replace(x, claimed_by=member.name, claimed_by_id=member.user_id)
                if x.key == key
                else x
                for x in tasks
            ]
            return WorkOutcome(board_reply(plan, claimed, page, today, changed=True), tasks=claimed)
        case ev.TickTask(task=key, done=done, page=page):
            found = next((task for task in tasks if task.key == key), None)
            if found is None:
                return WorkOutcome(notice(kinds.STALE, "ui.bad_button", lang, plan))
            if two_sided and not _ours_to_take(found):
                return WorkOutcome(notice(kinds.INVALID, "two.not_your_task", lang, plan))
            # A task already as asked stays as it is: a repeated tap keeps who ticked it, when.
            ticked = [
                (
                    replace(x, done_by=member.name if done else None, done_at=now if done else None)
                    if x.key == key and (x.done_by is not None) != done
                    else x
                )
                for x in tasks
            ]
            if ticked == list(tasks):
                return WorkOutcome(board_reply(plan, tasks, page, today))
            return WorkOutcome(board_reply(plan, ticked, page, today, changed=True), tasks=ticked)
    return _follow_through(plan, tasks, member, event, today, two_sided)


def due_reply(plan: Plan, task: TaskRecord, number: int, page: int) -> Reply:
    """A task's due-date choices: the quick picks, clearing a set day, and how to type one."""
    lang = plan.language
    name = t(f"task.{task.key}", lang)
    lines = [t("due.title", lang, task=name)]
    if task.due_on:
        lines.append(t("due.current", lang, day=format_day(date.fromisoformat(task.due_on), lang)))
    lines.append(t("due.hint", lang, number=number))
    options = [Option(f"{PICK}{task.key}:{pick}", t(f"due.{pick}", lang)) for pick in QUICK_PICKS]
    if task.due_on:
        options.append(Option(f"{PICK}{task.key}:", t("due.clear", lang)))
    return Reply(
        kind=kinds.BOARD,
        text="\n".join(lines),
        plain_text="\n".join([*lines[:-1], t("due.hint_typed", lang, number=number)]),
        options=tuple(options),
        plan_id=plan.id,
        version=plan.version,
        page=(page, checklist.pages(1)),
    )


def _follow_through(
    plan: Plan,
    tasks: Sequence[TaskRecord],
    member: MemberRef,
    event: ev.Work,
    today: date,
    two_sided: bool = False,
) -> WorkOutcome:
    """Due days, snoozing and giving a task up (issue 17); on a board shared with a partner,
    only for the tasks of the member's side and the joint ones."""
    lang = plan.language
    key = getattr(event, "task", None)
    ordered = overdue_first(list(tasks), today)
    task = next((x for x in ordered if x.key == key), None)
    if isinstance(key, str) and key.isdigit():  # typed: the task's number on the board
        number = int(key)
        if not 1 <= number <= len(ordered):
            return WorkOutcome(invalid_reply(None, Invalid("due_usage"), lang))
        task = ordered[number - 1]
    if task is None and isinstance(event, ev.SetDue) and not key:  # typed without a task
        return WorkOutcome(invalid_reply(None, Invalid("due_usage"), lang))
    if task is None:
        return WorkOutcome(notice(kinds.STALE, "ui.bad_button", lang, plan))
    if two_sided and not _ours_to_take(task):
        return WorkOutcome(notice(kinds.INVALID, "two.not_your_task", lang, plan))
    number = ordered.index(task) + 1
    name = t(f"task.{task.key}", lang)

    def changed(new: TaskRecord, note: str, **params: object) -> WorkOutcome:
        updated = [new if x.key == task.key else x for x in tasks]
        page = (number - 1) // checklist.PAGE_SIZE
        reply = board_reply(
            plan, updated, page, today, changed=True, notes=(t(note, lang, **params),)
        )
        return WorkOutcome(reply, tasks=updated)

    match event:
        case ev.PickDue(page=page):
            return WorkOutcome(due_reply(plan, task, number, page))
        case ev.SetDue(when=when):
            if not when.strip():
                return changed(replace(task, due_on=None), "due.cleared", task=name)
            day = quick_pick(when, today) if when in QUICK_PICKS else parse_due(when, today)
            if isinstance(day, Invalid):
                return WorkOutcome(invalid_reply(None, _dated(day, lang), lang))
            shown = format_day(day, lang)
            return changed(replace(task, due_on=day.isoformat()), "due.set", task=name, day=shown)
        case ev.SnoozeTask():
            base = date.fromisoformat(task.due_on) if task.due_on else today
            day = max(base, today) + SNOOZE
            shown = format_day(day, lang)
            return changed(
                replace(task, due_on=day.isoformat()), "remind.snoozed", task=name, day=shown
            )
        case ev.FreeTask():
            who = task.claimed_by or member.name
            freed = replace(task, claimed_by=None, claimed_by_id=None)
            return changed(freed, "remind.freed", name=who, task=name)
    raise TypeError(f"unknown event {event!r}")


def _dated(problem: Invalid, lang: str) -> Invalid:
    """A refused date's day written as people write it in ``lang``."""
    day = problem.params.get("day")
    if isinstance(day, date):
        return Invalid(problem.key, {**problem.params, "day": format_day(day, lang)})
    return problem
