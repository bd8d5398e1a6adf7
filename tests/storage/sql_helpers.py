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
