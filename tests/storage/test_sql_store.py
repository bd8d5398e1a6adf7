"""SqlStore as a PlanStore: what one session writes is what the next one reads."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from flows.model import AnswerRecord, ChatRef, ChecklistRecord, MemberRef, Plan, TaskRecord
from flows.ports import PlanSession, PlanStore
from storage.models import (
    AnswerRow,
    AssociationRow,
    ChecklistItemRow,
    MemberRow,
    PlanRow,
    TaskRow,
)
from storage.session import StoreSession
from storage.store import SqlStore
from tests.storage.sql_helpers import ALICE, BOB, GROUP, PRIVATE, answer, count_rows, new_plan

ANSWERS = {
    "goals": ["event", "advocacy"],
    "values_close": 4,
    "partner_name": "Ääkkösten seura 🎲 \"quoted\" 'x'",
    "nested": {"a": [1, 2.5, None, True, False, ""], "big": 2**53 + 1},
}
META = {"answered_by": {"goals": "1"}, "votes": {"kind": {"1": "company"}}, "editing": None}


def _parameters(function: object) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_sql_session_has_every_method_of_the_protocol() -> None:
    methods = [n for n, f in vars(PlanSession).items() if inspect.iscoroutinefunction(f)]
    assert methods  # the protocol still declares its methods as coroutines
    for name in methods:
        implementation = getattr(StoreSession, name)
        assert inspect.iscoroutinefunction(implementation), name
        assert _parameters(implementation) == _parameters(getattr(PlanSession, name)), name
    assert _parameters(SqlStore.session) == _parameters(PlanStore.session)


async def test_create_then_current_plan_round_trips(store: SqlStore) -> None:
    async with store.session(GROUP) as s:
        assert await s.current_plan() is None
        created = await s.create_plan(
            Plan(id=None, state="goals", language="fi", answers=ANSWERS, meta=META), ALICE
        )
    assert created.id is not None
    assert created.version == 1

    async with store.session(GROUP) as s:
        loaded = await s.current_plan()
    assert loaded == Plan(
        id=created.id,
        state="goals",
        version=1,
        status="open",
        language="fi",
        answers=ANSWERS,
        meta=META,
    )
    assert await count_rows(store, GROUP) == {
        "association": 1,
        "member": 1,
        "plan": 1,
        "answer": 0,
        "task": 0,
        "checklist_item": 0,
        "partner_invite": 0,
        "reminder": 0,
        "review_answer": 0,
    }


async def test_association_and_member_rows(store: SqlStore, query) -> None:
    await new_plan(store, GROUP)
    rows = await query(
        select(AssociationRow.transport, AssociationRow.external_id, AssociationRow.title)
    )
    assert rows == [("telegram", "-100", "Chess club")]
    members = await query(select(MemberRow.external_id, MemberRow.name))
    assert members == [("1", "Alice")]


async def test_save_with_matching_version_increments_and_appends_history(
    store: SqlStore, query
) -> None:
    plan = await new_plan(store)
    async with store.session(GROUP) as s:
        loaded = await s.current_plan()
        assert loaded is not None
        loaded.state = "offer"
        loaded.answers["goals"] = ["event"]
        loaded.meta["answered_by"] = {"goals": "2"}
        ok = await s.save_plan(loaded, 1, BOB, [AnswerRecord("goals", ["event"], BOB)])
        assert ok is True
        assert loaded.version == 2

    async with store.session(GROUP) as s:
        stored = await s.current_plan()
        assert stored == Plan(
            id=plan.id,
            state="offer",
            version=2,
            answers={"goals": ["event"]},
            meta={"answered_by": {"goals": "2"}},
        )
        # A skip (None) and a second question, in one save.
        stored.state = "need"
        history_rows = [AnswerRecord("goals", None, ALICE), AnswerRecord("offer", ["money"], ALICE)]
        assert await s.save_plan(stored, 2, ALICE, history_rows)
        assert stored.version == 3

    async with store.session(GROUP) as s:
        assert plan.id is not None
        assert await s.answer_history(plan.id) == [
            AnswerRecord("goals", ["event"], BOB),
            AnswerRecord("goals", None, ALICE),
            AnswerRecord("offer", ["money"], ALICE),
        ]
        assert await s.last_answer(plan.id, "goals") == AnswerRecord("goals", None, ALICE)
        assert await s.last_answer(plan.id, "offer") == AnswerRecord("offer", ["money"], ALICE)
        assert await s.last_answer(plan.id, "kind") is None

    # A skipped answer is SQL NULL, not the JSON text 'null'.
    nulls = await query(select(AnswerRow.id).where(AnswerRow.value.is_(None)))
    assert len(nulls) == 1
    (row,) = await query(select(PlanRow.version, PlanRow.created_at, PlanRow.updated_at))
    assert row.version == 3
    assert row.created_at.tzinfo is UTC and row.updated_at.tzinfo is UTC
    assert row.updated_at >= row.created_at
    stamps = await query(select(AnswerRow.created_at))
    assert all(s.created_at.tzinfo is UTC for s in stamps)


async def test_save_without_answers_still_bumps_version(store: SqlStore) -> None:
    await new_plan(store)
    async with store.session(GROUP) as s:
        plan = await s.current_plan()
        assert plan is not None
        plan.language = "sv"
        plan.status = "done"
        assert await s.save_plan(plan, 1, ALICE)
    async with store.session(GROUP) as s:
        stored = await s.current_plan()
        assert stored is not None
        assert (stored.version, stored.language, stored.status) == (2, "sv", "done")
        assert stored.id is not None
        assert await s.answer_history(stored.id) == []


async def test_save_of_an_unstored_plan_is_refused(store: SqlStore) -> None:
    async with store.session(GROUP) as s:
        with pytest.raises(ValueError, match="create_plan"):
            await s.save_plan(Plan(id=None, state="goals"), 0, ALICE)


async def test_create_plan_closes_earlier_open_plans(store: SqlStore, query) -> None:
    first = await new_plan(store, answers={"goals": ["event"]})
    second = await new_plan(store, state="start")
    async with store.session(GROUP) as s:
        current = await s.current_plan()
    assert current is not None and current.id == second.id and current.version == 1

    rows = await query(select(PlanRow.id, PlanRow.status, PlanRow.version).order_by(PlanRow.id))
    assert [tuple(r) for r in rows] == [(first.id, "closed", 2), (second.id, "open", 1)]
    # A stale button of the old plan can no longer write to it (nor reopen it).
    async with store.session(GROUP) as s:
        assert not await s.save_plan(first, 1, ALICE)


async def test_plans_lists_the_chats_plans_newest_first(store: SqlStore) -> None:
    first = await new_plan(store, answers={"goals": ["event"]})
    second = await new_plan(store, state="start")
    async with store.session(GROUP) as s:
        plans = await s.plans()
    assert [(p.id, p.status, p.answers) for p in plans] == [
        (second.id, "open", {}),
        (first.id, "closed", {"goals": ["event"]}),
    ]
    async with store.session(PRIVATE) as s:
        assert await s.plans() == []  # another chat sees none of them


async def _save_work(
    store: SqlStore,
    seen: int,
    tasks: list[TaskRecord] | None = None,
    checklist: list[ChecklistRecord] | None = None,
) -> None:
    async with store.session(GROUP) as s:
        loaded = await s.current_plan()
        assert loaded is not None
        assert await s.save_plan(loaded, seen, ALICE, tasks=tasks, checklist=checklist)


async def _work(store: SqlStore, plan_id: int) -> tuple[list[TaskRecord], list[ChecklistRecord]]:
    async with store.session(GROUP) as s:
        return await s.tasks(plan_id), await s.checklist(plan_id)


async def test_tasks_are_replaced_on_save_in_order(store: SqlStore, query) -> None:
    plan = await new_plan(store)
    assert plan.id is not None
    one = TaskRecord("book_venue", "prepare", "us", "premises")
    two = TaskRecord("announce", "run", "partner", None)
    three = TaskRecord("feedback", "follow_up", "together", "volunteers")
    claimed = TaskRecord(
        "book_venue",
        "prepare",
        "us",
        "premises",
        claimed_by="Alice Ääkkönen-Smith",
        done_by="Alice Ääkkönen-Smith",
        done_at="2026-11-26T23:43:25+00:00",
    )

    assert await _work(store, plan.id) == ([], [])
    await _save_work(store, 1, tasks=[two, one])
    assert (await _work(store, plan.id))[0] == [two, one]
    await _save_work(store, 2, tasks=None)  # None: leave the tasks alone
    assert (await _work(store, plan.id))[0] == [two, one]
    await _save_work(store, 3, tasks=[three, claimed])
    assert (await _work(store, plan.id))[0] == [three, claimed]
    # The tick is stored as a real UTC timestamp, and flagged.
    rows = await query(select(TaskRow.done, TaskRow.done_at).order_by(TaskRow.id))
    assert [r.done for r in rows] == [False, True]
    assert rows[1].done_at == datetime(2026, 11, 26, 23, 43, 25, tzinfo=UTC)
    await _save_work(store, 4, tasks=[])
    assert (await _work(store, plan.id))[0] == []


async def test_checklist_is_replaced_on_save_in_order(store: SqlStore, query) -> None:
    plan = await new_plan(store)
    assert plan.id is not None
    builtin = ChecklistRecord("contract")
    ticked = ChecklistRecord("budget", done_by="Bob", done_at="2026-01-02T03:04:05+00:00")
    own = ChecklistRecord("c1", "Bring the chess clocks")

    await _save_work(store, 1, checklist=[ticked, builtin, own])
    assert (await _work(store, plan.id))[1] == [ticked, builtin, own]
    rows = await query(select(ChecklistItemRow.key, ChecklistItemRow.custom))
    assert sorted(tuple(r) for r in rows) == [("budget", False), ("c1", True), ("contract", False)]

    await _save_work(store, 2, tasks=[TaskRecord("announce", "run", "us", None)])
    assert (await _work(store, plan.id))[1] == [ticked, builtin, own]  # None: untouched
    # A time with another offset (or none) is kept as the same instant, in UTC.
    local = ChecklistRecord("budget", done_by="Bob", done_at="2026-01-02T05:04:05+02:00")
    naive = ChecklistRecord("c1", "Bring the chess clocks", "Eve", "2026-01-02T03:04:05")
    await _save_work(store, 3, checklist=[local, naive])
    assert (await _work(store, plan.id))[1] == [
        ticked,
        ChecklistRecord("c1", "Bring the chess clocks", "Eve", "2026-01-02T03:04:05+00:00"),
    ]
    await _save_work(store, 4, checklist=[])
    assert (await _work(store, plan.id))[1] == []


async def test_a_chat_never_sees_another_chats_plan(store: SqlStore) -> None:
    group_plan = await new_plan(store, GROUP, answers={"goals": ["event"]})
    await _save_work(
        store, 1, [TaskRecord("announce", "run", "us", None)], [ChecklistRecord("contract")]
    )
    assert await answer(store, GROUP, ALICE, "goals", ["network"])
    assert group_plan.id is not None

    # Same chat id on another transport is another association.
    for other in (PRIVATE, ChatRef("console", GROUP.chat_id)):
        async with store.session(other) as s:
            assert await s.current_plan() is None
            assert await s.last_answer(group_plan.id, "goals") is None
            assert await s.answer_history(group_plan.id) == []
            assert await s.tasks(group_plan.id) == []
            assert await s.checklist(group_plan.id) == []
            # A forged or misrouted save of the group's plan writes nothing.
            forged = Plan(id=group_plan.id, state="hijacked", answers={"goals": ["x"]})
            assert not await s.save_plan(forged, 3, BOB, [AnswerRecord("goals", ["x"], BOB)], [])

    private_plan = await new_plan(store, PRIVATE, state="private")
    async with store.session(GROUP) as s:
        current = await s.current_plan()
        assert current is not None
        assert (current.id, current.state, current.version) == (group_plan.id, "goals", 3)
        assert current.answers == {"goals": ["network"]}
        assert await s.answer_history(group_plan.id) == [AnswerRecord("goals", ["network"], ALICE)]
    async with store.session(PRIVATE) as s:
        current = await s.current_plan()
        assert current is not None and current.id == private_plan.id


async def test_session_rolls_back_on_exception(store: SqlStore) -> None:
    with pytest.raises(RuntimeError):
        async with store.session(GROUP) as s:
            await s.create_plan(Plan(id=None, state="goals"), ALICE)
            raise RuntimeError("boom")
    assert set((await count_rows(store)).values()) == {0}

    # The member written by the rolled-back session must not be taken as stored (cache).
    plan = await new_plan(store)
    assert (await count_rows(store, GROUP))["member"] == 1

    # A save that writes tasks too is one transaction with whatever the event writes next.
    task = TaskRecord("book_venue", "prepare", "us", "premises")
    with pytest.raises(RuntimeError):
        async with store.session(GROUP) as s:
            loaded = await s.current_plan()
            assert loaded is not None
            answers = [AnswerRecord("goals", ["x"], BOB)]
            assert await s.save_plan(loaded, 1, BOB, answers, tasks=[task])
            raise RuntimeError("boom")
    async with store.session(GROUP) as s:
        loaded = await s.current_plan()
        assert loaded is not None and loaded.version == 1
        assert plan.id is not None
        assert await s.answer_history(plan.id) == []
    assert (await count_rows(store, GROUP))["member"] == 1  # Bob's row went with the rollback
    assert await answer(store, GROUP, BOB, "goals", ["x"])
    assert (await count_rows(store, GROUP))["member"] == 2


async def test_an_answer_is_stored_when_its_save_returns(store: SqlStore) -> None:
    """A save of the plan alone is the event's one write: it is committed when save_plan
    returns, so an event failing afterwards (building the reply) keeps the member's answer, and
    the session refuses a write after it instead of splitting the event in two."""
    plan = await new_plan(store)
    assert plan.id is not None
    with pytest.raises(RuntimeError, match="boom"):
        async with store.session(GROUP) as s:
            loaded = await s.current_plan()
            assert loaded is not None
            loaded.answers["goals"] = ["x"]
            assert await s.save_plan(loaded, 1, BOB, [AnswerRecord("goals", ["x"], BOB)])
            raise RuntimeError("boom")
    async with store.session(GROUP) as s:
        loaded = await s.current_plan()
        assert loaded is not None
        assert (loaded.version, loaded.answers) == (2, {"goals": ["x"]})
        assert await s.answer_history(plan.id) == [AnswerRecord("goals", ["x"], BOB)]
        with pytest.raises(RuntimeError, match="last write"):
            assert await s.save_plan(loaded, 2, BOB)
            await s.set_follow_settings(reminders=False)
    assert (await count_rows(store, GROUP))["member"] == 2
    # A lost race writes nothing, alone or not.
    async with store.session(GROUP) as s:
        loaded = await s.current_plan()
        assert loaded is not None and loaded.version == 3
        assert not await s.save_plan(loaded, 2, ALICE, [AnswerRecord("goals", ["y"], ALICE)])
    assert await answer(store, GROUP, ALICE, "goals", ["z"])


async def test_member_rows_are_created_once_and_follow_renames(store: SqlStore, query) -> None:
    await new_plan(store)
    for value in range(3):
        assert await answer(store, GROUP, ALICE, "values_close", value)
    assert await answer(store, GROUP, BOB, "values_close", 5)
    renamed = MemberRef(ALICE.user_id, "Alice Smith")
    assert await answer(store, GROUP, renamed, "values_close", 1)
    rows = await query(select(MemberRow.external_id, MemberRow.name).order_by(MemberRow.id))
    assert [tuple(r) for r in rows] == [("1", "Alice Smith"), ("2", "Bob")]


async def test_title_of_a_chat_follows_renames(store: SqlStore, query) -> None:
    await new_plan(store, GROUP)
    await new_plan(store, ChatRef(GROUP.transport, GROUP.chat_id, "group", "Chess & Go club"))
    rows = await query(select(AssociationRow.title))
    assert rows == [("Chess & Go club",)]
