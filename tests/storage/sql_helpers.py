"""Sample chats and members, and one-event helpers, shared by the storage tests."""

from __future__ import annotations

from typing import Any

from flows.model import AnswerRecord, ChatRef, MemberRef, Plan
from storage.store import SqlStore

GROUP = ChatRef("telegram", "-100", "group", "Chess club")
PRIVATE = ChatRef("telegram", "42", "private", "")
ALICE = MemberRef("1", "Alice")
BOB = MemberRef("2", "Bob")


async def new_plan(store: SqlStore, chat: ChatRef = GROUP, **fields: Any) -> Plan:
    """Create and return a plan for ``chat`` in a session of its own."""
    fields.setdefault("state", "goals")
    async with store.session(chat) as s:
        return await s.create_plan(Plan(id=None, **fields), ALICE)


async def answer(
    store: SqlStore, chat: ChatRef, member: MemberRef, question: str, value: Any
) -> bool:
    """One event: load the chat's plan, record an answer, save with the version seen."""
    async with store.session(chat) as s:
        plan = await s.current_plan()
        assert plan is not None
        seen = plan.version
        plan.answers[question] = value
        return await s.save_plan(plan, seen, member, [AnswerRecord(question, value, member)])


async def count_rows(store: SqlStore, chat: ChatRef | None = None) -> dict[str, int]:
    """Rows per table, of the whole database or of one chat's association (for tests)."""
    from sqlalchemy import text

    from storage.db import SQLITE_BEGIN
    from storage.models import ALL_TABLES

    of_chat = {"association": "id = :a", "member": "association_id = :a"}
    of_chat["plan"] = of_chat["member"]
    async with store.engine.connect() as conn:
        if store.driver.dialect == "sqlite":  # reads only: no need for the write lock
            await conn.execution_options(**{SQLITE_BEGIN: "lazy"})
        key = {"t": chat.transport, "c": chat.chat_id} if chat else {}
        find = "SELECT id FROM association WHERE transport = :t AND external_id = :c"
        found = {"a": (await conn.execute(text(find), key)).scalar() if chat else None}
        counts = {}
        for name in ALL_TABLES:
            sql = f'SELECT count(*) FROM "{name}"'
            if chat is not None:
                plans = 'SELECT id FROM "plan" WHERE association_id = :a'
                sql += " WHERE " + of_chat.get(name, f"plan_id IN ({plans})")
            counts[name] = (await conn.execute(text(sql), found)).scalar_one()
        return counts
