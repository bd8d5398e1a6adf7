"""After planning: the checklist and the task board, ticked and claimed from a phone.

Pure like ``flows.conversation``: given the plan, its tasks and checklist as stored, an event
gives a Reply and, when something changed, the new tasks or checklist to store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from flows import checklist
from flows import events as ev
from flows import reply as kinds
from flows.model import DONE, TOGETHER, US, ChecklistRecord, MemberRef, Plan, TaskRecord
from flows.parse import Invalid
from flows.render import invalid_reply, notice, owner_text
from flows.reply import Option, Reply
from flows.tasks import is_joint
from flows.texts import has, t

CLAIM = "claim:"
TICK = "tick:"


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


def _task_line(number: int, task: TaskRecord, lang: str) -> str:
    name = t(f"task.{task.key}", lang)
    if task.done_by:  # the name first: a narrow screen cuts the end of a line
        return t("board.done_line", lang, number=number, name=task.done_by, task=name)
    owner = owner_text(task, lang)
    if task.claimed_by:
        owner = t("board.claimed", lang, party=owner, name=task.claimed_by)
    return t("board.line", lang, number=number, task=name, owner=owner)


def board_reply(plan: Plan, tasks: Sequence[TaskRecord], page: int, **extra: object) -> Reply:
    """One page of the task board: a line per task, and per task a tick option (its short
    name) and, for a task of our side nobody has taken, a claim option."""
    lang = plan.language
    shown, page = _page(tasks, page)
    first = page * checklist.PAGE_SIZE + 1
    done = sum(1 for task in tasks if task.done_by)
    lines = [t("board.title", lang, done=done, total=len(tasks)), ""]
    options: list[Option] = []
    for number, task in enumerate(shown, start=first):
        lines.append(_task_line(number, task, lang))
        options.append(
            Option(TICK + task.key, task_short(task.key, number, lang), bool(task.done_by))
        )
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
) -> WorkOutcome:
    lang = plan.language
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
            return WorkOutcome(board_reply(plan, tasks, page))
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
            claimed = [replace(x, claimed_by=member.name) if x.key == key else x for x in tasks]
            return WorkOutcome(board_reply(plan, claimed, page, changed=True), tasks=claimed)
        case ev.TickTask(task=key, done=done, page=page):
            if not any(task.key == key for task in tasks):
                return WorkOutcome(notice(kinds.STALE, "ui.bad_button", lang, plan))
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
                return WorkOutcome(board_reply(plan, tasks, page))
            return WorkOutcome(board_reply(plan, ticked, page, changed=True), tasks=ticked)
    raise TypeError(f"unknown event {event!r}")
