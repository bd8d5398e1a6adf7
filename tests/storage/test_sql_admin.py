"""forget_association (privacy) and move_association (group became a supergroup)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from flows.model import AnswerRecord, ChatRef, ChecklistRecord, Plan, TaskRecord
from storage.models import MemberRow, PartnerInviteRow, PlanRow
from storage.store import SqlStore
from tests.storage.sql_helpers import ALICE, BOB, GROUP, PRIVATE, answer, count_rows, new_plan

SUPERGROUP_ID = "-1001234"


async def _populate(store: SqlStore, chat: ChatRef, token: str) -> Plan:
    """A chat with two plans, answers by two members, tasks, checklist items and an invite."""
    await new_plan(store, chat)
    plan = await new_plan(store, chat)
    assert await answer(store, chat, ALICE, "goals", ["event"])
    async with store.session(chat) as s:
        loaded = await s.current_plan()
        assert loaded is not None
        tasks = [
            TaskRecord("book", "prepare", "us", "premises"),
            TaskRecord("pay", "run", "partner", "money"),
        ]
        items = [ChecklistRecord("contract"), ChecklistRecord("c1", "Own item")]
        record = AnswerRecord("kind", "company", BOB)
        assert await s.save_plan(loaded, 2, BOB, [record], tasks, items)
    async with store.engine.begin() as conn:  # invites have no store method yet
        await conn.execute(
            insert(PartnerInviteRow).values(
                plan_id=plan.id,
                token_hash=token,
                expires_at=datetime.now(UTC) + timedelta(days=7),
            )
        )
    return plan


async def test_forget_association_removes_every_row(store: SqlStore) -> None:
    forgotten = await _populate(store, GROUP, "hash-a")
    await _populate(store, PRIVATE, "hash-b")
    kept = await count_rows(store, PRIVATE)
    assert kept == {
        "association": 1,
        "member": 2,
        "plan": 2,
        "answer": 2,
        "task": 2,
        "checklist_item": 2,
        "partner_invite": 1,
        "reminder": 0,
        "review_answer": 0,
    }
    assert await count_rows(store, GROUP) == kept

    assert await store.forget_association(GROUP) is True

    # Everything left in the database is the other chat's.
    assert await count_rows(store) == kept
    assert await count_rows(store, PRIVATE) == kept
    assert await store.forget_association(GROUP) is False
    async with store.session(GROUP) as s:
        assert await s.current_plan() is None
        assert not await s.save_plan(forgotten, 3, ALICE)

    # Starting over creates fresh rows (nothing cached about the old ones gets in the way).
    fresh = await new_plan(store, GROUP)
    assert fresh.id is not None and forgotten.id is not None
    assert fresh.id > forgotten.id  # plan ids are never reused
    assert (await count_rows(store, GROUP))["member"] == 1
    assert await answer(store, GROUP, BOB, "goals", ["event"])
    assert (await count_rows(store, GROUP))["member"] == 2


async def test_forget_unknown_chat(store: SqlStore) -> None:
    assert await store.forget_association(GROUP) is False


async def test_move_association_keeps_plans(store: SqlStore) -> None:
    plan = await _populate(store, GROUP, "hash-a")
    before = await count_rows(store, GROUP)
    supergroup = ChatRef(GROUP.transport, SUPERGROUP_ID, "group", GROUP.title)

    assert await store.move_association(GROUP, SUPERGROUP_ID) is True

    assert await count_rows(store, supergroup) == before
    assert (await count_rows(store, GROUP))["association"] == 0
    async with store.session(GROUP) as s:
        assert await s.current_plan() is None
    async with store.session(supergroup) as s:
        moved = await s.current_plan()
        assert moved is not None
        assert (moved.id, moved.version, moved.answers) == (plan.id, 3, {"goals": ["event"]})
        assert plan.id is not None
        assert [r.question for r in await s.answer_history(plan.id)] == ["goals", "kind"]
    # The conversation goes on in the supergroup.
    assert await answer(store, supergroup, ALICE, "partner_name", "Go club")
    assert await store.move_association(GROUP, SUPERGROUP_ID) is False


async def test_move_into_a_chat_that_already_started(store: SqlStore, query) -> None:
    """A message reached the supergroup before the migration notice: fold the old one in."""
    old_plan = await _populate(store, GROUP, "hash-a")
    supergroup = ChatRef(GROUP.transport, SUPERGROUP_ID, "group", GROUP.title)
    async with store.session(supergroup) as s:
        new = await s.create_plan(Plan(id=None, state="start"), ALICE)

    assert await store.move_association(GROUP, SUPERGROUP_ID) is True

    counts = await count_rows(store, supergroup)
    assert counts["association"] == 1
    assert counts["member"] == 2  # Alice once, Bob from the old group
    assert counts["plan"] == 3
    assert (await count_rows(store))["association"] == 1
    async with store.session(supergroup) as s:
        current = await s.current_plan()
        assert current is not None and current.id == new.id  # the newest plan stays current
        assert old_plan.id is not None
        assert len(await s.answer_history(old_plan.id)) == 2
    rows = await query(select(PlanRow.status).where(PlanRow.status == "open"))
    assert len(rows) == 1
    names = await query(select(MemberRow.name).order_by(MemberRow.name))
    assert [r.name for r in names] == ["Alice", "Bob"]


async def test_move_unknown_chat(store: SqlStore) -> None:
    assert await store.move_association(GROUP, SUPERGROUP_ID) is False
