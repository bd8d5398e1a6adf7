"""The per-event path on PostgreSQL, driven through asyncpg itself.

Why not SQLAlchemy here
-----------------------
Measured on the machine of ``bench/README.md``, one event through SQLAlchemy async (BEGIN,
SELECT, UPDATE, INSERT, COMMIT: five round trips, each through SQLAlchemy's execution
machinery and a greenlet switch) took 1.7-3 ms. asyncpg alone needs ~0.2 ms per round trip,
and the event needs four: the read (outside a transaction, like ``storage.sqlite_direct``),
BEGIN, one statement that writes everything, and COMMIT.

* The version-checked UPDATE, the member row and the answer rows are one statement (data-
  modifying CTEs): the answers and the member are inserted only from the row the UPDATE
  returned, so a writer that lost the race writes nothing, as before. Under READ COMMITTED a
  second UPDATE of the same row waits for the first transaction and then re-checks the
  version, so exactly one of two concurrent writers wins, across processes and instances.
* The session stays one transaction (BEGIN before the first write, COMMIT when the event is
  done, ROLLBACK on an exception), so an answer is acknowledged only once it is committed.
* Values are stored as SQLAlchemy stores them (JSON text, ``timestamptz``), so the engine
  that the store keeps for migrations and administration reads the same rows.

Connections: a small pool of its own (at most ``MAX_CONNECTIONS`` open, like SQLAlchemy's
default 5 + 10 overflow), without asyncpg's reset query on release (one more round trip):
a connection goes back only when it is idle and not in a transaction, else it is closed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import URL

from flows.model import AnswerRecord, ChatRef, ChecklistRecord, MemberRef, Plan, TaskRecord
from storage.member_cache import MemberCache
from storage.models import CLOSED, OPEN
from storage.rows import checklist_rows, plans_of, task_rows

MAX_CONNECTIONS = 15
MAX_IDLE = 5
CONNECT_TIMEOUT = 60.0

_dumps = json.dumps


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def _from_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class PgDriver:
    """asyncpg connections to one database, for the store's sessions."""

    def __init__(self, url: URL, *, max_connections: int = MAX_CONNECTIONS) -> None:
        self._connect_args: dict[str, Any] = {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "database": url.database,
            "timeout": CONNECT_TIMEOUT,
        }
        self._max = max_connections
        self._idle: list[Any] = []
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:
            # Connections belong to the loop that opened them: start afresh on a new one.
            for conn in self._idle:
                conn.terminate()
            self._idle = []
            self._slots, self._slots_loop = asyncio.Semaphore(self._max), loop
        return self._slots

    async def acquire(self) -> Any:
        if self._closed:
            raise RuntimeError("the store is closed")
        slots = self._semaphore()
        await slots.acquire()
        try:
            while self._idle:
                conn = self._idle.pop()
                if not conn.is_closed():
                    return conn
            import asyncpg

            return await asyncpg.connect(**self._connect_args)
        except BaseException:
            slots.release()
            raise

    def release(self, conn: Any, *, reusable: bool) -> None:
        try:
            if (
                reusable
                and not self._closed
                and not conn.is_closed()
                and not conn.is_in_transaction()
                and len(self._idle) < MAX_IDLE
            ):
                self._idle.append(conn)
            else:
                conn.terminate()
        finally:
            if self._slots is not None:
                self._slots.release()

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:
                conn.terminate()

    @asynccontextmanager
    async def session(self, chat: ChatRef, members: MemberCache) -> AsyncIterator[PgSession]:
        """One event's unit of work; commits on normal exit, rolls back on an exception."""
        conn = await self.acquire()
        session = PgSession(conn, chat, members)
        reusable = False
        try:
            try:
                yield session
            except BaseException:
                if session.writing:
                    await conn.execute("ROLLBACK")
                reusable = True
                raise
            if session.writing:
                await conn.execute("COMMIT")
            reusable = True
        finally:
            self.release(conn, reusable=reusable)
        members.add(session.new_members)  # committed: these rows exist now


# -- statements ----------------------------------------------------------------------------

_PLAN_COLUMNS = (
    "plan.id, plan.association_id, plan.state, plan.version, plan.status, plan.language, "
    "plan.answers, plan.meta"
)

CURRENT_PLAN = f"""SELECT {_PLAN_COLUMNS} FROM plan JOIN association
ON association.id = plan.association_id
WHERE association.transport = $1 AND association.external_id = $2
ORDER BY plan.id DESC LIMIT 1"""
RECENT_PLANS = f"""SELECT {_PLAN_COLUMNS} FROM plan JOIN association
ON association.id = plan.association_id
WHERE association.transport = $1 AND association.external_id = $2
ORDER BY plan.id DESC LIMIT 20"""


def _scoped(sql: str, first: int) -> dict[bool, str]:
    """``sql`` with ``{scope}`` as a known association id (True) or the chat's (False);
    the scope's parameters are numbered from ``first``."""
    chat = f"(SELECT id FROM association WHERE transport = ${first} AND external_id = ${first + 1})"
    return {True: sql.format(scope=f"${first}"), False: sql.format(scope=chat)}


# $1 plan id, $2 seen version, $3-$7 the new plan, $8 now, $9-$10 the member, $11 whether to
# write the member row, $12-$15 the answers (arrays), then the scope.
SAVE_PLAN = _scoped(
    """WITH saved AS (
    UPDATE plan SET state = $3, status = $4, language = $5, answers = $6::json,
        meta = $7::json, version = version + 1, updated_at = $8
    WHERE id = $1 AND version = $2 AND association_id = {scope}
    RETURNING id, association_id
), member_row AS (
    INSERT INTO member (association_id, external_id, name)
    SELECT association_id, $9, $10 FROM saved WHERE $11::boolean
    ON CONFLICT (association_id, external_id) DO UPDATE SET name = excluded.name
), answer_rows AS (
    INSERT INTO answer (plan_id, question, value, member_external_id, member_name, created_at)
    SELECT saved.id, a.question, a.value::json, a.member_id, a.member_name, $8
    FROM saved CROSS JOIN unnest($12::text[], $13::text[], $14::text[], $15::text[])
        WITH ORDINALITY AS a(question, value, member_id, member_name, n)
    ORDER BY a.n
)
SELECT association_id FROM saved""",
    16,
)
LAST_ANSWER = _scoped(
    "SELECT answer.question, answer.value, answer.member_external_id, answer.member_name "
    "FROM answer JOIN plan ON plan.id = answer.plan_id "
    "WHERE answer.plan_id = $1 AND answer.question = $2 AND plan.association_id = {scope} "
    "ORDER BY answer.id DESC LIMIT 1",
    3,
)
HISTORY = _scoped(
    "SELECT answer.question, answer.value, answer.member_external_id, answer.member_name "
    "FROM answer JOIN plan ON plan.id = answer.plan_id "
    "WHERE answer.plan_id = $1 AND plan.association_id = {scope} ORDER BY answer.id",
    2,
)
TASKS = _scoped(
    "SELECT task.key, task.phase, task.owner, task.resource, task.claimed_by, task.done_by, "
    "task.done_at FROM task JOIN plan ON plan.id = task.plan_id "
    "WHERE task.plan_id = $1 AND plan.association_id = {scope} ORDER BY task.id",
    2,
)
CHECKLIST = _scoped(
    "SELECT checklist_item.key, checklist_item.label, checklist_item.done_by, "
    "checklist_item.done_at FROM checklist_item JOIN plan ON plan.id = checklist_item.plan_id "
    "WHERE checklist_item.plan_id = $1 AND plan.association_id = {scope} "
    "ORDER BY checklist_item.id",
    2,
)
FIND_ASSOCIATION = (
    "SELECT id, title FROM association WHERE transport = $1 AND external_id = $2 FOR UPDATE"
)
INSERT_ASSOCIATION = (
    "INSERT INTO association (transport, external_id, title, created_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (transport, external_id) DO NOTHING"
)
RETITLE_ASSOCIATION = "UPDATE association SET title = $1 WHERE id = $2"
UPSERT_MEMBER = (
    "INSERT INTO member (association_id, external_id, name) VALUES ($1, $2, $3) "
    "ON CONFLICT (association_id, external_id) DO UPDATE SET name = excluded.name"
)
CLOSE_OPEN_PLANS = (
    "UPDATE plan SET status = $1, version = version + 1, updated_at = $2 "
    "WHERE association_id = $3 AND status = $4"
)
INSERT_PLAN = (
    "INSERT INTO plan (association_id, status, state, version, language, answers, meta, "
    "created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $5::json, $6::json, $7, $7) "
    "RETURNING id"
)
DELETE_TASKS = "DELETE FROM task WHERE plan_id = $1"
INSERT_TASK = (
    "INSERT INTO task (plan_id, key, phase, owner, resource, claimed_by, done, done_by, "
    "done_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)
DELETE_CHECKLIST = "DELETE FROM checklist_item WHERE plan_id = $1"
INSERT_CHECKLIST = (
    "INSERT INTO checklist_item (plan_id, key, label, custom, done_by, done_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"
)


class PgSession:
    """``flows.ports.PlanSession`` on one asyncpg connection; same contract and checks as
    ``storage.session.SqlPlanSession`` (a plan of another chat is invisible here)."""

    def __init__(self, conn: Any, chat: ChatRef, members: MemberCache) -> None:
        self._conn = conn
        self._chat = chat
        self._members = members
        self._association_id: int | None = None
        self.writing = False  # BEGIN sent: the rest of the event is one transaction
        # Members written in this transaction; the store caches them once it has committed.
        self.new_members: list[tuple[int, str, str]] = []

    # -- reads ------------------------------------------------------------------------------

    async def current_plan(self) -> Plan | None:
        plans = await self._plans(CURRENT_PLAN)
        return plans[0] if plans else None

    async def plans(self) -> list[Plan]:
        return await self._plans(RECENT_PLANS)

    async def _plans(self, sql: str) -> list[Plan]:
        rows = await self._conn.fetch(sql, self._chat.transport, self._chat.chat_id)
        if rows:
            self._association_id = rows[0][1]
        return plans_of(rows, _loads)

    async def last_answer(self, plan_id: int, question: str) -> AnswerRecord | None:
        known, scope = self._scope()
        row = await self._conn.fetchrow(LAST_ANSWER[known], plan_id, question, *scope)
        return None if row is None else _answer(row)

    async def answer_history(self, plan_id: int) -> list[AnswerRecord]:
        known, scope = self._scope()
        return [_answer(r) for r in await self._conn.fetch(HISTORY[known], plan_id, *scope)]

    async def tasks(self, plan_id: int) -> list[TaskRecord]:
        known, scope = self._scope()
        rows = await self._conn.fetch(TASKS[known], plan_id, *scope)
        return [
            TaskRecord(
                key=key,
                phase=phase,
                owner=owner,
                resource=resource,
                claimed_by=claimed_by,
                done_by=done_by,
                done_at=_iso(done_at),
            )
            for key, phase, owner, resource, claimed_by, done_by, done_at in rows
        ]

    async def checklist(self, plan_id: int) -> list[ChecklistRecord]:
        known, scope = self._scope()
        rows = await self._conn.fetch(CHECKLIST[known], plan_id, *scope)
        return [
            ChecklistRecord(key=key, label=label, done_by=done_by, done_at=_iso(done_at))
            for key, label, done_by, done_at in rows
        ]

    # -- writes -----------------------------------------------------------------------------

    async def create_plan(self, plan: Plan, member: MemberRef) -> Plan:
        await self._begin_write()
        conn = self._conn
        association_id = await self._ensure_association()
        entry = (association_id, member.user_id, member.name)
        if self._new_member(entry):
            await conn.execute(UPSERT_MEMBER, *entry)
            self.new_members.append(entry)
        now = datetime.now(UTC)
        # Close the earlier open plans. Their version moves too, so a stale button or a racing
        # save on an old plan fails its version check instead of reopening it.
        await conn.execute(CLOSE_OPEN_PLANS, CLOSED, now, association_id, OPEN)
        plan.id = await conn.fetchval(
            INSERT_PLAN,
            association_id,
            plan.status,
            plan.state,
            plan.language,
            _dumps(plan.answers),
            _dumps(plan.meta),
            now,
        )
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
        conn = self._conn
        known, scope = self._scope()
        # Without the association id the member row is written anyway (it is an upsert).
        write_member = not known or self._new_member(
            (self._association_id or 0, member.user_id, member.name)
        )
        # The one version-checked statement that decides between concurrent writers; the
        # member and the answers are written from the row it updated, or not at all.
        association_id = await conn.fetchval(
            SAVE_PLAN[known],
            plan.id,
            seen_version,
            plan.state,
            plan.status,
            plan.language,
            _dumps(plan.answers),
            _dumps(plan.meta),
            datetime.now(UTC),
            member.user_id,
            member.name,
            write_member,
            [a.question for a in answers],
            [None if a.value is None else _dumps(a.value) for a in answers],
            [a.member.user_id for a in answers],
            [a.member.name for a in answers],
            *scope,
        )
        if association_id is None:
            return False
        self._association_id = association_id
        if write_member:
            self.new_members.append((association_id, member.user_id, member.name))
        if tasks is not None:
            await conn.execute(DELETE_TASKS, plan.id)
            if tasks:
                await conn.executemany(
                    INSERT_TASK,
                    task_rows(plan.id, tasks, _from_iso),
                )
        if checklist is not None:
            await conn.execute(DELETE_CHECKLIST, plan.id)
            if checklist:
                await conn.executemany(
                    INSERT_CHECKLIST,
                    checklist_rows(plan.id, checklist, _from_iso),
                )
        plan.version = seen_version + 1
        return True

    # -- helpers ----------------------------------------------------------------------------

    async def _begin_write(self) -> None:
        if not self.writing:
            await self._conn.execute("BEGIN")
            self.writing = True

    def _scope(self) -> tuple[bool, tuple[Any, ...]]:
        """Which statement variant, and the parameters naming this chat's association."""
        if self._association_id is not None:
            return True, (self._association_id,)
        return False, (self._chat.transport, self._chat.chat_id)

    def _new_member(self, entry: tuple[int, str, str]) -> bool:
        return entry not in self.new_members and not self._members.knows(*entry)

    async def _ensure_association(self) -> int:
        """The chat's association id, creating the row when missing, and locking it: the row
        lock serialises concurrent ``create_plan`` calls of one chat, so one plan stays open."""
        chat = self._chat
        conn = self._conn
        row = await conn.fetchrow(FIND_ASSOCIATION, chat.transport, chat.chat_id)
        if row is None:
            await conn.execute(
                INSERT_ASSOCIATION, chat.transport, chat.chat_id, chat.title, datetime.now(UTC)
            )
            # Ours, or the row a concurrent creator committed while our INSERT waited.
            row = await conn.fetchrow(FIND_ASSOCIATION, chat.transport, chat.chat_id)
        elif chat.title and row["title"] != chat.title:
            await conn.execute(RETITLE_ASSOCIATION, chat.title, row["id"])
        self._association_id = int(row["id"])
        return self._association_id


def _answer(row: Any) -> AnswerRecord:
    question, value, member_id, member_name = row
    return AnswerRecord(
        question=question,
        value=_loads(value),
        member=MemberRef(user_id=member_id, name=member_name),
    )
