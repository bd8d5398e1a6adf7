"""``SqlPlanSession``: the store protocol's unit of work over one connection and transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.model import AnswerRecord, ChatRef, ChecklistRecord, MemberRef, Plan, TaskRecord
from storage import statements as sql
from storage.member_cache import MemberCache
from storage.models import (
    CLOSED,
    OPEN,
    AssociationRow,
    MemberRow,
    PlanRow,
    utcnow,
)

_ASSOCIATION = cast(Table, AssociationRow.__table__)
_MEMBER = cast(Table, MemberRow.__table__)


def upsert(conn: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ``ON CONFLICT`` on this connection's backend."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {name}")


def chat_filter(chat: ChatRef) -> tuple[ColumnElement[bool], ...]:
    return (
        AssociationRow.transport == chat.transport,
        AssociationRow.external_id == chat.chat_id,
    )


def from_iso(text: str | None) -> datetime | None:
    """The domain's ISO 8601 time as an aware datetime (UTC when it names no offset)."""
    if text is None:
        return None
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def to_iso(at: datetime | None) -> str | None:
    """A stored time as the domain writes it: ISO 8601 in UTC, e.g. 2025-05-01T12:00:00+00:00."""
    return None if at is None else at.astimezone(UTC).isoformat()


def _plan(row: Any) -> Plan:
    return Plan(
        id=row.id,
        state=row.state,
        version=row.version,
        status=row.status,
        language=row.language,
        answers=row.answers,
        meta=row.meta,
    )


async def ensure_member(conn: AsyncConnection, association_id: int, member: MemberRef) -> None:
    """Insert the member, or refresh its name (one statement, safe against a racing insert)."""
    stmt = upsert(conn, _MEMBER).values(
        association_id=association_id, external_id=member.user_id, name=member.name
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["association_id", "external_id"], set_={"name": stmt.excluded.name}
    )
    await conn.execute(stmt)


class SqlPlanSession:
    """One event's unit of work, scoped to one chat's association.

    Everything that names a plan id is checked against the chat: a plan of another chat is
    invisible here (``save_plan`` returns False, the history reads come back empty).
    """

    def __init__(
        self,
        conn: AsyncConnection,
        chat: ChatRef,
        members: MemberCache,
        *,
        begin_before_write: bool,
    ) -> None:
        self._conn = conn
        self._chat = chat
        self._members = members
        # SQLite sessions run their reads outside a transaction; see storage.db.
        self._needs_begin = begin_before_write
        self._association_id: int | None = None
        # Members written in this transaction; the store caches them once it has committed.
        self.new_members: list[tuple[int, str, str]] = []

    # -- reads ------------------------------------------------------------------------------

    async def current_plan(self) -> Plan | None:
        chat = {"chat_transport": self._chat.transport, "chat_id": self._chat.chat_id}
        row = (await self._conn.execute(sql.CURRENT_PLAN, chat)).first()
        if row is None:
            return None
        self._association_id = row.association_id
        return _plan(row)

    async def plans(self) -> list[Plan]:
        chat = {"chat_transport": self._chat.transport, "chat_id": self._chat.chat_id}
        rows = (await self._conn.execute(sql.RECENT_PLANS, chat)).all()
        if rows:
            self._association_id = rows[0].association_id
        return [_plan(row) for row in rows]

    async def last_answer(self, plan_id: int, question: str) -> AnswerRecord | None:
        stmt = sql.LAST_ANSWER[self._association_id is not None]
        rows = await self._history(stmt, plan_id=plan_id, question=question)
        return rows[0] if rows else None

    async def answer_history(self, plan_id: int) -> list[AnswerRecord]:
        stmt = sql.HISTORY[self._association_id is not None]
        return await self._history(stmt, plan_id=plan_id)

    async def tasks(self, plan_id: int) -> list[TaskRecord]:
        stmt = sql.TASKS[self._association_id is not None]
        rows = (await self._conn.execute(stmt, {"plan_id": plan_id, **self._scope()})).all()
        return [
            TaskRecord(
                key=r.key,
                phase=r.phase,
                owner=r.owner,
                resource=r.resource,
                claimed_by=r.claimed_by,
                done_by=r.done_by,
                done_at=to_iso(r.done_at),
            )
            for r in rows
        ]

    async def checklist(self, plan_id: int) -> list[ChecklistRecord]:
        stmt = sql.CHECKLIST[self._association_id is not None]
        rows = (await self._conn.execute(stmt, {"plan_id": plan_id, **self._scope()})).all()
        return [
            ChecklistRecord(key=r.key, label=r.label, done_by=r.done_by, done_at=to_iso(r.done_at))
            for r in rows
        ]

    async def _history(self, stmt: Any, **params: Any) -> list[AnswerRecord]:
        rows = (await self._conn.execute(stmt, {**params, **self._scope()})).all()
        return [
            AnswerRecord(
                question=r.question,
                value=r.value,
                member=MemberRef(user_id=r.member_external_id, name=r.member_name),
            )
            for r in rows
        ]

    # -- writes -----------------------------------------------------------------------------

    async def create_plan(self, plan: Plan, member: MemberRef) -> Plan:
        await self._begin_write()
        association_id = await self._ensure_association()
        await self._ensure_member(association_id, member)
        now = utcnow()
        # Close the earlier open plans. Their version moves too, so a stale button or a racing
        # save on an old plan fails its version check instead of reopening it.
        await self._conn.execute(
            update(PlanRow)
            .where(PlanRow.association_id == association_id, PlanRow.status == OPEN)
            .values(status=CLOSED, version=PlanRow.version + 1, updated_at=now)
        )
        result = await self._conn.execute(
            insert(PlanRow).values(
                association_id=association_id,
                status=plan.status,
                state=plan.state,
                version=1,
                language=plan.language,
                answers=plan.answers,
                meta=plan.meta,
                created_at=now,
                updated_at=now,
            )
        )
        plan.id = result.inserted_primary_key[0]
        plan.version = 1
        return plan

    async def save_plan(
        self,
        plan: Plan,
        seen_version: int,
        member: MemberRef,
        answers: Sequence[AnswerRecord] = (),
        tasks: Sequence[TaskRecord] | None = None,
        checklist: Sequence[ChecklistRecord] | None = None,
    ) -> bool:
        if plan.id is None:
            raise ValueError("save_plan needs a stored plan; use create_plan first")
        await self._begin_write()
        now = utcnow()
        # The one version-checked statement that decides between concurrent writers.
        result = await self._conn.execute(
            sql.SAVE_PLAN[self._association_id is not None],
            {
                "plan_id": plan.id,
                "seen_version": seen_version,
                "new_state": plan.state,
                "new_status": plan.status,
                "new_language": plan.language,
                "new_answers": plan.answers,
                "new_meta": plan.meta,
                "now": now,
                **self._scope(),
            },
        )
        if result.rowcount != 1:
            return False
        association_id = self._association_id or await self._plan_association(plan.id)
        await self._ensure_member(association_id, member)
        if answers:
            await self._conn.execute(
                sql.INSERT_ANSWERS,
                [
                    {
                        "plan_id": plan.id,
                        "question": a.question,
                        "value": a.value,
                        "member_external_id": a.member.user_id,
                        "member_name": a.member.name,
                        "created_at": now,
                    }
                    for a in answers
                ],
            )
        if tasks is not None:
            await self._replace_tasks(plan.id, tasks)
        if checklist is not None:
            await self._replace_checklist(plan.id, checklist)
        plan.version = seen_version + 1
        return True

    async def _replace_tasks(self, plan_id: int, tasks: Sequence[TaskRecord]) -> None:
        await self._conn.execute(sql.DELETE_TASKS, {"plan_id": plan_id})
        if tasks:
            await self._conn.execute(
                sql.INSERT_TASKS,
                [
                    {
                        "plan_id": plan_id,
                        "key": t.key,
                        "phase": t.phase,
                        "owner": t.owner,
                        "resource": t.resource,
                        "claimed_by": t.claimed_by,
                        "done": t.done_by is not None,
                        "done_by": t.done_by,
                        "done_at": from_iso(t.done_at),
                    }
                    for t in tasks
                ],
            )

    async def _replace_checklist(self, plan_id: int, items: Sequence[ChecklistRecord]) -> None:
        await self._conn.execute(sql.DELETE_CHECKLIST, {"plan_id": plan_id})
        if items:
            await self._conn.execute(
                sql.INSERT_CHECKLIST,
                [
                    {
                        "plan_id": plan_id,
                        "key": i.key,
                        "label": i.label,
                        "custom": i.custom,
                        "done_by": i.done_by,
                        "done_at": from_iso(i.done_at),
                    }
                    for i in items
                ],
            )

    # -- helpers ----------------------------------------------------------------------------

    async def _begin_write(self) -> None:
        if self._needs_begin:
            # Waits (busy_timeout) for SQLite's write lock, then sees the latest commit.
            await self._conn.exec_driver_sql("BEGIN IMMEDIATE")
            self._needs_begin = False

    def _scope(self) -> dict[str, Any]:
        """Parameters naming this chat's association (see ``storage.statements``)."""
        if self._association_id is not None:
            return {"scope_id": self._association_id}
        return {"chat_transport": self._chat.transport, "chat_id": self._chat.chat_id}

    async def _plan_association(self, plan_id: int) -> int:
        result = await self._conn.execute(sql.PLAN_ASSOCIATION, {"plan_id": plan_id})
        self._association_id = int(result.scalar_one())
        return self._association_id

    async def _ensure_association(self) -> int:
        """The chat's association id, creating the row when missing (and locking it on PG).

        The row lock serialises concurrent ``create_plan`` calls of one chat on PostgreSQL, so
        only one plan stays open; SQLite's write lock already does that.
        """
        chat = self._chat
        find = (
            select(AssociationRow.id, AssociationRow.title)
            .where(*chat_filter(chat))
            .with_for_update()
        )
        row = (await self._conn.execute(find)).first()
        if row is None:
            await self._conn.execute(
                upsert(self._conn, _ASSOCIATION)
                .values(transport=chat.transport, external_id=chat.chat_id, title=chat.title)
                .on_conflict_do_nothing(index_elements=["transport", "external_id"])
            )
            # Ours, or the row a concurrent creator committed while our INSERT waited.
            row = (await self._conn.execute(find)).one()
        elif chat.title and row.title != chat.title:
            await self._conn.execute(
                update(AssociationRow).where(AssociationRow.id == row.id).values(title=chat.title)
            )
        self._association_id = int(row.id)
        return self._association_id

    async def _ensure_member(self, association_id: int, member: MemberRef) -> None:
        entry = (association_id, member.user_id, member.name)
        if entry in self.new_members or self._members.knows(*entry):
            return
        await ensure_member(self._conn, association_id, member)
        self.new_members.append(entry)
