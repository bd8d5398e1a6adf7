"""The checklist, the task board and the agreement export as pure functions (no store)."""

from __future__ import annotations

from typing import Any

import pytest

from flows import checklist
from flows import events as ev
from flows import reply as kinds
from flows.model import PARTNER, TOGETHER, US, ChecklistRecord, MemberRef, Plan, TaskRecord
from flows.render import owner_text
from flows.reply import Option
from flows.tasks import is_joint
from flows.texts import has, languages, t
from flows.workboard import CLAIM, TICK, apply_work, plan_forms
from tests.flows.scenarios import EVENT, play

ANNA = MemberRef("101", "Anna")
LUKASZ = MemberRef("102", "Łukasz")
NOW = "2025-05-01T12:00:00+00:00"
LATER = "2025-05-02T09:30:00+00:00"


def finished(answers: dict[str, str] = EVENT) -> tuple[Plan, list[TaskRecord]]:
    plan, outcomes = play(answers, ANNA)
    tasks = outcomes[-1].tasks
    assert plan.status == "done" and tasks
    return plan, tasks


def work(
    plan: Plan,
    event: ev.Work,
    tasks: list[TaskRecord] | None = None,
    stored: list[ChecklistRecord] | None = None,
    member: MemberRef = ANNA,
    group: bool = False,
    now: str = NOW,
):  # type: ignore[no-untyped-def]
    return apply_work(plan, tasks or [], stored or [], member, event, now, group)


# --- the checklist ---------------------------------------------------------------------------


def total_items(stored: Any) -> int:
    return len(checklist.items(stored, ("event",)))


def test_builtin_item_keys_are_short_unique_and_have_texts() -> None:
    keys = [*checklist.PREPARATION, *(k for ks in checklist.FORM_ITEMS.values() for k in ks)]
    assert len(keys) == len(set(keys))
    assert all(len(key) <= 16 for key in keys), [k for k in keys if len(k) > 16]
    for language in languages():
        assert all(has(f"check.{key}", language) for key in keys)


def test_items_are_preparation_then_form_steps_then_own_items_with_stored_ticks() -> None:
    ticked = ChecklistRecord("agree_goals", done_by="Anna", done_at=NOW)
    own = ChecklistRecord("c1", "Book the photographer")
    items = checklist.items([own, ticked], ("event", "corporate"))
    keys = [item.key for item in items]
    assert keys[:5] == list(checklist.PREPARATION)
    assert keys[5 : 5 + len(checklist.FORM_ITEMS["event"])] == list(checklist.FORM_ITEMS["event"])
    assert keys[-1] == "c1"
    assert keys.count("c1") == 1
    assert items[keys.index("agree_goals")] == ticked


def test_tick_sets_who_and_when_untick_clears_and_a_repeat_keeps_the_first() -> None:
    items = checklist.items([], ())
    ticked = checklist.tick(items, "know_partner", True, "Anna", NOW)
    assert ticked is not None
    assert ticked[0] == ChecklistRecord("know_partner", done_by="Anna", done_at=NOW)
    again = checklist.tick(ticked, "know_partner", True, "Łukasz", LATER)
    assert again == ticked  # a retried or double tap does not steal the tick
    cleared = checklist.tick(ticked, "know_partner", False, "Łukasz", LATER)
    assert cleared is not None and not cleared[0].done and cleared[0].done_at is None
    assert checklist.tick(items, "no_such_item", True, "Anna", NOW) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("   ", "checklist_empty"),
        ("x" * (checklist.MAX_LABEL_LENGTH + 1), "checklist_too_long"),
        ("Know THE partner", None),
    ],
)
def test_add_checks_the_text(text: str, problem: str | None) -> None:
    added = checklist.add(checklist.items([], ()), text)
    if problem is None:
        assert not isinstance(added, checklist.Invalid)
        assert added[-1] == ChecklistRecord("c1", "Know THE partner")
    else:
        assert isinstance(added, checklist.Invalid) and added.key == problem


def test_add_collapses_spaces_numbers_keys_and_refuses_duplicates_and_overflow() -> None:
    items = checklist.items([], ())
    first = checklist.add(items, "  Book   the\nphotographer ")
    assert not isinstance(first, checklist.Invalid)
    assert first[-1].label == "Book the photographer"
    duplicate = checklist.add(first, "book the PHOTOGRAPHER")
    assert isinstance(duplicate, checklist.Invalid) and duplicate.key == "checklist_duplicate"
    current = first
    for n in range(2, checklist.MAX_CUSTOM_ITEMS + 1):
        added = checklist.add(current, f"Own step {n}")
        assert not isinstance(added, checklist.Invalid)
        current = added
    assert [i.key for i in current if i.custom][-1] == f"c{checklist.MAX_CUSTOM_ITEMS}"
    full = checklist.add(current, "One too many")
    assert isinstance(full, checklist.Invalid) and full.key == "checklist_full"
    assert all(len(item.key) <= 16 for item in current)


def test_pages_are_clamped() -> None:
    items = [ChecklistRecord(f"c{n}", f"Step {n}") for n in range(1, 18)]
    assert checklist.pages(0) == 1
    assert checklist.pages(len(items)) == 3
    assert checklist.page_of(items, 2) == (items[16:], 2)
    assert checklist.page_of(items, 99) == (items[16:], 2)
    assert checklist.page_of(items, -1) == (items[:8], 0)


def test_an_open_plan_has_the_preparation_steps_only() -> None:
    plan = Plan(id=7, state="aims", version=3)
    reply = work(plan, ev.ShowChecklist()).reply
    assert reply.kind == kinds.CHECKLIST
    assert [o.key for o in reply.options] == list(checklist.PREPARATION)
    assert reply.text.splitlines() == [
        t("check.title", done=0, total=5),
        t("check.preparation_only"),
        "",
        *(f"{n}. ☐ {t(f'check.{key}')}" for n, key in enumerate(checklist.PREPARATION, 1)),
    ]
    # Buttons carry the item's number (the text gives the item in full).
    assert [o.label for o in reply.options] == ["1", "2", "3", "4", "5"]
    assert (reply.plan_id, reply.version, reply.page) == (7, 3, (0, 1))


def test_a_finished_plan_pages_the_form_steps_and_ticks_show_who_in_a_group() -> None:
    plan, tasks = finished()
    assert plan_forms(plan) == ("event",)
    total = len(checklist.PREPARATION) + len(checklist.FORM_ITEMS["event"])
    first = work(plan, ev.ShowChecklist(), tasks).reply
    assert first.page == (0, checklist.pages(total))
    assert len(first.options) == checklist.PAGE_SIZE
    assert first.text.splitlines()[0] == t("check.title", done=0, total=total)

    outcome = work(plan, ev.TickItem("ev_safety", True, page=1), tasks, group=True, member=LUKASZ)
    assert outcome.checklist is not None and outcome.reply.changed
    assert outcome.reply.page == (1, 2)
    safety = next(o for o in outcome.reply.options if o.key == "ev_safety")
    number = 1 + list(checklist.items([], ("event",))).index(
        next(i for i in checklist.items([], ("event",)) if i.key == "ev_safety")
    )
    assert (safety.selected, safety.label) == (True, str(number))
    lines = outcome.reply.text.splitlines()
    assert lines[0] == t("check.title", done=1, total=total)
    # Who ticked it comes first on its line.
    label = t("check.done_by", label=t("check.ev_safety"), name="Łukasz")
    assert label.startswith("Łukasz") and f"{number}. ☑ {label}" in lines
    stored = [i for i in outcome.checklist if i.done]
    assert stored == [ChecklistRecord("ev_safety", done_by="Łukasz", done_at=NOW)]

    private = work(plan, ev.ShowChecklist(1), tasks, outcome.checklist).reply
    assert f"{number}. ☑ {t('check.ev_safety')}" in private.text.splitlines()


def test_a_repeated_tick_writes_nothing_and_a_stale_one_shows_the_current_list() -> None:
    plan, tasks = finished()
    ticked = work(plan, ev.TickItem("know_partner", True), tasks).checklist
    assert ticked is not None
    repeat = work(plan, ev.TickItem("know_partner", True), tasks, ticked, member=LUKASZ)
    assert not repeat.changed
    assert repeat.reply.kind == kinds.CHECKLIST and repeat.reply.options[0].selected

    stale = work(plan, ev.TickItem("c3", True, page=1), tasks, ticked)
    assert not stale.changed
    assert stale.reply.kind == kinds.STALE
    assert stale.reply.notes == (t("check.stale"),)
    assert stale.reply.page == (1, 2) and stale.reply.options


def test_adding_an_item_shows_the_last_page_and_a_refused_one_stores_nothing() -> None:
    plan, tasks = finished()
    added = work(plan, ev.AddItem("Book the photographer"), tasks)
    assert added.checklist is not None and added.checklist[-1].label == "Book the photographer"
    assert added.reply.page == (1, 2)
    assert added.reply.options[-1] == Option("c1", str(total_items(added.checklist)), False)
    assert added.reply.text.splitlines()[-1].endswith("☐ Book the photographer")

    too_long = work(plan, ev.AddItem("x" * 61), tasks)
    assert not too_long.changed
    assert too_long.reply.kind == kinds.INVALID
    assert too_long.reply.text == t("invalid.checklist_too_long", length=61, limit=60)


# --- the task board --------------------------------------------------------------------------


def test_no_board_before_the_plan_is_finished() -> None:
    reply = work(Plan(id=7, state="aims"), ev.ShowTasks()).reply
    assert (reply.kind, reply.text) == (kinds.INFO, t("board.no_tasks"))


def test_the_board_offers_ticks_for_all_and_claims_for_our_open_tasks() -> None:
    plan, tasks = finished()
    reply = work(plan, ev.ShowTasks(), tasks).reply
    assert reply.kind == kinds.BOARD
    ticks = [o.key[len(TICK) :] for o in reply.options if o.key.startswith(TICK)]
    claims = [o.key[len(CLAIM) :] for o in reply.options if o.key.startswith(CLAIM)]
    assert ticks == [task.key for task in tasks][: checklist.PAGE_SIZE]
    shown = tasks[: checklist.PAGE_SIZE]
    # Ours to take: our tasks, and the joint ones (we do our part of those).
    assert claims == [task.key for task in shown if task.owner in (US, TOGETHER) or is_joint(task)]
    for number, task in enumerate(shown, 1):  # every task of the page with its owner party
        line = f"{number}. {t(f'task.{task.key}')} — {owner_text(task, 'en')}"
        assert line in reply.text.splitlines()
    # Tick buttons carry a short label, numbered like the text's lines.
    labels = [o.label for o in reply.options if o.key.startswith(TICK)]
    assert labels == [f"{n}. {t(f'task_short.{x.key}')}" for n, x in enumerate(shown, 1)]


def test_claims_record_who_and_refuse_the_partners_and_taken_tasks() -> None:
    plan, tasks = finished()
    ours = next(task for task in tasks if task.owner == US)
    theirs = next(task for task in tasks if task.owner == PARTNER and not is_joint(task))

    claimed = work(plan, ev.ClaimTask(ours.key), tasks, member=LUKASZ)
    assert claimed.tasks is not None
    assert next(x for x in claimed.tasks if x.key == ours.key).claimed_by == "Łukasz"
    assert CLAIM + ours.key not in {o.key for o in claimed.reply.options}

    taken = work(plan, ev.ClaimTask(ours.key), claimed.tasks, member=ANNA)
    assert (taken.reply.kind, taken.changed) == (kinds.CONFLICT, False)
    assert taken.reply.text == t("board.taken", name="Łukasz")

    partners = work(plan, ev.ClaimTask(theirs.key), tasks)
    assert (partners.reply.kind, partners.changed) == (kinds.INVALID, False)

    unknown = work(plan, ev.ClaimTask("no_such_task"), tasks)
    assert (unknown.reply.kind, unknown.changed) == (kinds.STALE, False)


def test_ticking_a_task_records_who_and_when_and_a_repeat_keeps_them() -> None:
    plan, tasks = finished()
    key = tasks[0].key
    done = work(plan, ev.TickTask(key, True), tasks, member=LUKASZ)
    assert done.tasks is not None
    assert (done.tasks[0].done_by, done.tasks[0].done_at) == ("Łukasz", NOW)
    assert done.reply.text.splitlines()[0] == t("board.title", done=1, total=len(tasks))

    repeat = work(plan, ev.TickTask(key, True), done.tasks, member=ANNA, now=LATER)
    assert not repeat.changed

    undone = work(plan, ev.TickTask(key, False), done.tasks, now=LATER)
    assert undone.tasks is not None
    assert (undone.tasks[0].done_by, undone.tasks[0].done_at) == (None, None)
