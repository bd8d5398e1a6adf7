"""The per-event path on an SQLite file, driven through the standard ``sqlite3`` module.

Why not SQLAlchemy + aiosqlite here
-----------------------------------
Measured on the 2-core machine of ``bench/README.md``: one event (read the plan, BEGIN
IMMEDIATE, version-checked UPDATE, INSERT of the answer, COMMIT) took ~3.4 ms through
SQLAlchemy async + aiosqlite, because every statement is a hop to aiosqlite's thread and back
plus SQLAlchemy's execution machinery; the same statements through ``sqlite3`` take ~0.1 ms.
The statements are small index lookups and writes to the OS page cache (WAL with
``synchronous=NORMAL`` does not fsync on commit), so they run right on the event loop's
thread: cheaper than handing them to another thread and waiting for the answer.

What stays the same (``storage.db`` explains the locking scheme):

* Reads run outside a transaction (each SELECT is one consistent snapshot); the session takes
  SQLite's write lock with ``BEGIN IMMEDIATE`` right before its first write, and commits when
  the event is done. The ``UPDATE plan ... WHERE version = :seen`` decides between writers,
  in this process or any other (also other ``SqlStore`` instances, and the SQLAlchemy engine
  that the store keeps for migrations and administration).
* An answer is acknowledged only after COMMIT returned: WAL + ``synchronous=NORMAL`` (the
  product default) keeps every committed event across a crash of the process; only a power
  cut may lose the last commits, never corrupt the file.

What is different:

* The event loop must never sleep inside SQLite waiting for a lock (a writer of this process
  would then wait on itself). So these connections have ``busy_timeout = 0``: writers of one
  store queue on an ``asyncio.Lock`` first, and a lock held by someone else (another process,
  another store) is waited for with ``asyncio.sleep`` and retried, up to the same 5 s as the
  engine's ``busy_timeout``. Then "database is locked" is raised, as before.
* Every SELECT is read to its end (``fetchall``), so no statement keeps a read snapshot open
  into the write transaction (that would make BEGIN IMMEDIATE fail on a stale snapshot).
* Checkpoints (copying the WAL back into the database file, with an fsync) are not left to
  the commit that happens to cross SQLite's 1000-page mark: that commit would hold the loop
  for milliseconds (measured: up to 20 ms). These connections turn the automatic checkpoint
  off; every ``CHECKPOINT_EVERY`` commits a PASSIVE checkpoint runs in a worker thread on a
  connection of its own, while the loop goes on. Under steady load commits land during it, so
  the WAL may not be fully copied and cannot restart from its beginning; once it holds more
  than ``WAL_LIMIT`` frames, the next checkpoint holds back this store's writers (not the
  loop, not readers) until it is done, and the WAL restarts. (The engine's connections, and
  other processes, keep SQLite's automatic checkpoint.)
* Values are stored exactly as SQLAlchemy stores them on SQLite (JSON text via ``json.dumps``,
  naive-UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` timestamps, 0/1 booleans), so both paths read each
  other's rows.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from flows.model import AnswerRecord, ChatRef, ChecklistRecord, MemberRef, Plan, TaskRecord
from storage.member_cache import MemberCache
from storage.models import CLOSED, OPEN
from storage.rows import checklist_rows, plans_of, task_rows

T = TypeVar("T")

BUSY_TIMEOUT = 5.0  # seconds, as the engine's PRAGMA busy_timeout=5000
# Sleeps between attempts at a lock held elsewhere (seconds); the last one repeats.
BUSY_DELAYS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05)
MAX_IDLE = 4  # idle connections kept open per store
# Commits between background checkpoints: a few pages each, so the WAL stays near the size at
# which SQLite would checkpoint on its own (1000 pages).
CHECKPOINT_EVERY = 250
WAL_LIMIT = 4000  # frames (pages) in the WAL beyond which a checkpoint holds writers back

_PRAGMAS = (
    "PRAGMA busy_timeout=0",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA wal_autocheckpoint=0",
)
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6

_dumps = json.dumps
_loads = json.loads


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def to_db_time(at: datetime) -> str:
    """An aware datetime as SQLAlchemy stores it on SQLite: naive UTC, microseconds."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def from_db_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _iso(text: str | None) -> str | None:
    """A stored time as the domain writes it (see ``storage.session.to_iso``)."""
    at = from_db_time(text)
    return None if at is None else at.isoformat()


def _from_iso(text: str | None) -> str | None:
    """The domain's ISO 8601 time (UTC when it names no offset) as stored."""
    if text is None:
        return None
    at = datetime.fromisoformat(text)
    return to_db_time(at if at.tzinfo is not None else at.replace(tzinfo=UTC))


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class SqliteDriver:
    """Connections to one SQLite file for the event loop's thread, and its writers' queue."""

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._idle: list[sqlite3.Connection] = []
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._commits = 0
        self._checkpointer: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None  # a checkpoint in the worker thread
        self._catch_up: asyncio.Task[None] | None = None  # one that holds writers back
        # What the last checkpoint saw: frames in the WAL, frames copied to the database.
        self.wal_frames = 0
        self.backfilled = 0

    # -- connections --------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,  # no implicit BEGIN: the session says when
            check_same_thread=False,  # one task at a time, but maybe not the creating thread
            cached_statements=64,
        )
        try:
            for pragma in _PRAGMAS:
                conn.execute(pragma).fetchall()
            # WAL is a property of the file (the engine set it when it migrated); switching
            # would need the exclusive lock, so only when it is not WAL yet.
            if conn.execute("PRAGMA journal_mode").fetchall()[0][0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
        except BaseException:
            conn.close()
            raise
        return conn

    def acquire(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("the store is closed")
        return self._idle.pop() if self._idle else self._connect()

    def release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # pragma: no cover - sessions always end their transaction
            conn.rollback()
        if self._closed or len(self._idle) >= MAX_IDLE:
            conn.close()
        else:
            self._idle.append(conn)

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
        catch_up = self._catch_up
        if (
            catch_up is not None
            and not catch_up.done()
            and catch_up.get_loop() is asyncio.get_running_loop()
        ):
            await asyncio.wait([catch_up])
        if self._executor is not None:
            # Lets a running checkpoint finish; it uses the checkpointer connection.
            await asyncio.to_thread(self._executor.shutdown, wait=True)
            self._executor = None
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None

    # -- checkpoints --------------------------------------------------------------------

    def _committed(self) -> None:
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY or self._closed:
            return
        if self._pending is not None and not self._pending.done():
            return
        if self._catch_up is not None and not self._catch_up.done():
            return
        if self.wal_frames > WAL_LIMIT:  # commits landed during every checkpoint: catch up
            self._catch_up = asyncio.get_running_loop().create_task(self._locked_checkpoint())
        else:
            self._pending = self._pool().submit(self._run_checkpoint)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-checkpoint")
        return self._executor

    async def _locked_checkpoint(self) -> None:
        async with self._writers():  # no commit of ours can land while it copies
            if not self._closed:
                self._pending = self._pool().submit(self._run_checkpoint)
                await asyncio.wrap_future(self._pending)

    def _run_checkpoint(self) -> None:
        """In the worker thread: copy what the WAL holds into the database file."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False
            )
            self._checkpointer.execute("PRAGMA busy_timeout=0").fetchall()
        try:
            rows = self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.OperationalError:  # busy (another checkpoint runs): the next one will do
            return
        _busy, self.wal_frames, self.backfilled = rows[0]

    # -- locking ------------------------------------------------------------------------

    def _writers(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def retry(self, attempt: Callable[[], T]) -> T:
        """``attempt()``, tried again after async sleeps while SQLite reports a busy lock."""
        try:
            return attempt()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        waited = 0.0
        tries = 0
        while True:
            delay = BUSY_DELAYS[min(tries, len(BUSY_DELAYS) - 1)]
            if waited + delay > self.busy_timeout:
                delay = self.busy_timeout - waited
                if delay <= 0:
                    return attempt()  # one last time; its "database is locked" propagates
            await asyncio.sleep(delay)
            waited += delay
            tries += 1
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise

    async def begin_immediate(self, conn: sqlite3.Connection) -> None:
        """Take the write lock: first in this store's queue, then SQLite's own."""
        lock = self._writers()
        await lock.acquire()
        try:
            await self.retry(lambda: conn.execute("BEGIN IMMEDIATE"))
        except BaseException:
            lock.release()
            raise

    async def end(self, conn: sqlite3.Connection, *, commit: bool) -> None:
        """COMMIT (or ROLLBACK) the write transaction and let the next writer in."""
        try:
            if commit:
                await self.retry(lambda: conn.execute("COMMIT"))
                self._committed()
            elif conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:
            if conn.in_transaction:  # COMMIT failed for good: nothing of it may stay
                conn.execute("ROLLBACK")
            lock = self._lock
            if lock is not None and lock.locked():
                lock.release()

    @asynccontextmanager
    async def session(self, chat: ChatRef, members: MemberCache) -> AsyncIterator[SqliteSession]:
        """One event's unit of work; commits on normal exit, rolls back on an exception."""
        conn = self.acquire()
        session = SqliteSession(self, conn, chat, members)
        try:
            try:
                yield session
            except BaseException:
                if session.writing:
                    await self.end(conn, commit=False)
                raise
            if session.writing:
                await self.end(conn, commit=True)
        finally:
            self.release(conn)
        members.add(session.new_members)  # committed: these rows exist now


# -- statements (SQLite dialect; the schema is storage.models) -------------------------------

_PLAN_COLUMNS = "plan.id, plan.association_id, plan.state, plan.version, plan.status, \
plan.language, plan.answers, plan.meta"
_CHAT_ASSOCIATION = "(SELECT id FROM association WHERE transport = ? AND external_id = ?)"

CURRENT_PLAN = f"""SELECT {_PLAN_COLUMNS} FROM plan JOIN association
ON association.id = plan.association_id
WHERE association.transport = ? AND association.external_id = ?
ORDER BY plan.id DESC LIMIT 1"""
RECENT_PLANS = f"""SELECT {_PLAN_COLUMNS} FROM plan JOIN association
ON association.id = plan.association_id
WHERE association.transport = ? AND association.external_id = ?
ORDER BY plan.id DESC LIMIT 20"""


def _scoped(sql: str) -> dict[bool, str]:
    """``sql`` with ``{scope}`` as a known association id (True) or the chat's (False)."""
    return {True: sql.format(scope="?"), False: sql.format(scope=_CHAT_ASSOCIATION)}


SAVE_PLAN = _scoped(
    "UPDATE plan SET state = ?, status = ?, language = ?, answers = ?, meta = ?, "
    "version = version + 1, updated_at = ? "
    "WHERE id = ? AND version = ? AND association_id = {scope}"
)
LAST_ANSWER = _scoped(
    "SELECT answer.question, answer.value, answer.member_external_id, answer.member_name "
    "FROM answer JOIN plan ON plan.id = answer.plan_id "
    "WHERE answer.plan_id = ? AND plan.association_id = {scope} AND answer.question = ? "
    "ORDER BY answer.id DESC LIMIT 1"
)
HISTORY = _scoped(
    "SELECT answer.question, answer.value, answer.member_external_id, answer.member_name "
    "FROM answer JOIN plan ON plan.id = answer.plan_id "
    "WHERE answer.plan_id = ? AND plan.association_id = {scope} ORDER BY answer.id"
)
TASKS = _scoped(
    "SELECT task.key, task.phase, task.owner, task.resource, task.claimed_by, task.done_by, "
    "task.done_at FROM task JOIN plan ON plan.id = task.plan_id "
    "WHERE task.plan_id = ? AND plan.association_id = {scope} ORDER BY task.id"
)
CHECKLIST = _scoped(
    "SELECT checklist_item.key, checklist_item.label, checklist_item.done_by, "
    "checklist_item.done_at FROM checklist_item JOIN plan ON plan.id = checklist_item.plan_id "
    "WHERE checklist_item.plan_id = ? AND plan.association_id = {scope} "
    "ORDER BY checklist_item.id"
)
PLAN_ASSOCIATION = "SELECT association_id FROM plan WHERE id = ?"
FIND_ASSOCIATION = "SELECT id, title FROM association WHERE transport = ? AND external_id = ?"
INSERT_ASSOCIATION = (
    "INSERT INTO association (transport, external_id, title, created_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (transport, external_id) DO NOTHING"
)
RETITLE_ASSOCIATION = "UPDATE association SET title = ? WHERE id = ?"
UPSERT_MEMBER = (
    "INSERT INTO member (association_id, external_id, name) VALUES (?, ?, ?) "
    "ON CONFLICT (association_id, external_id) DO UPDATE SET name = excluded.name"
)
CLOSE_OPEN_PLANS = (
    "UPDATE plan SET status = ?, version = version + 1, updated_at = ? "
    "WHERE association_id = ? AND status = ?"
)
INSERT_PLAN = (
    "INSERT INTO plan (association_id, status, state, version, language, answers, meta, "
    "created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)"
)
INSERT_ANSWER = (
    "INSERT INTO answer (plan_id, question, value, member_external_id, member_name, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?)"
)
DELETE_TASKS = "DELETE FROM task WHERE plan_id = ?"
INSERT_TASK = (
    "INSERT INTO task (plan_id, key, phase, owner, resource, claimed_by, done, done_by, "
    "done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
DELETE_CHECKLIST = "DELETE FROM checklist_item WHERE plan_id = ?"
INSERT_CHECKLIST = (
    "INSERT INTO checklist_item (plan_id, key, label, custom, done_by, done_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


class SqliteSession:
    """``flows.ports.PlanSession`` on one ``sqlite3`` connection; same contract and checks as
    ``storage.session.SqlPlanSession`` (a plan of another chat is invisible here)."""

    def __init__(
        self,
        driver: SqliteDriver,
        conn: sqlite3.Connection,
        chat: ChatRef,
        members: MemberCache,
    ) -> None:
        self._driver = driver
        self._conn = conn
        self._chat = chat
        self._members = members
        self._association_id: int | None = None
        self.writing = False  # BEGIN IMMEDIATE done: the session holds the write lock
        # Members written in this transaction; the store caches them once it has committed.
        self.new_members: list[tuple[int, str, str]] = []

    # -- reads ------------------------------------------------------------------------------

    async def _rows(self, sql: str, params: Sequence[Any]) -> list[Any]:
        conn = self._conn
        if self.writing:  # inside our own write transaction nothing can be busy
            return conn.execute(sql, params).fetchall()
        return await self._driver.retry(lambda: conn.execute(sql, params).fetchall())

    async def current_plan(self) -> Plan | None:
        plans = await self._plans(CURRENT_PLAN)
        return plans[0] if plans else None

    async def plans(self) -> list[Plan]:
        return await self._plans(RECENT_PLANS)

    async def _plans(self, sql: str) -> list[Plan]:
        rows = await self._rows(sql, (self._chat.transport, self._chat.chat_id))
        if rows:
            self._association_id = rows[0][1]
        return plans_of(rows, _json)

    async def last_answer(self, plan_id: int, question: str) -> AnswerRecord | None:
        known, scope = self._scope()
        rows = await self._rows(LAST_ANSWER[known], (plan_id, *scope, question))
        return _answer(rows[0]) if rows else None

    async def answer_history(self, plan_id: int) -> list[AnswerRecord]:
        known, scope = self._scope()
        return [_answer(r) for r in await self._rows(HISTORY[known], (plan_id, *scope))]

    async def tasks(self, plan_id: int) -> list[TaskRecord]:
        known, scope = self._scope()
        rows = await self._rows(TASKS[known], (plan_id, *scope))
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
        rows = await self._rows(CHECKLIST[known], (plan_id, *scope))
        return [
            ChecklistRecord(key=key, label=label, done_by=done_by, done_at=_iso(done_at))
            for key, label, done_by, done_at in rows
        ]

    # -- writes -----------------------------------------------------------------------------

    async def create_plan(self, plan: Plan, member: MemberRef) -> Plan:
        await self._begin_write()
        conn = self._conn
        association_id = self._ensure_association()
        self._ensure_member(association_id, member)
        now = _now()
        # Close the earlier open plans. Their version moves too, so a stale button or a racing
        # save on an old plan fails its version check instead of reopening it.
        conn.execute(CLOSE_OPEN_PLANS, (CLOSED, now, association_id, OPEN))
        cursor = conn.execute(
            INSERT_PLAN,
            (
                association_id,
                plan.status,
                plan.state,
                plan.language,
                _dumps(plan.answers),
                _dumps(plan.meta),
                now,
                now,
            ),
        )
        plan.id = cursor.lastrowid
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
        now = _now()
        known, scope = self._scope()
        # The one version-checked statement that decides between concurrent writers.
        cursor = conn.execute(
            SAVE_PLAN[known],
            (
                plan.state,
                plan.status,
                plan.language,
                _dumps(plan.answers),
                _dumps(plan.meta),
                now,
                plan.id,
                seen_version,
                *scope,
            ),
        )
        if cursor.rowcount != 1:
            return False
        association_id = self._association_id or self._plan_association(plan.id)
        self._ensure_member(association_id, member)
        if answers:
            conn.executemany(
                INSERT_ANSWER,
                [
                    (
                        plan.id,
                        a.question,
                        None if a.value is None else _dumps(a.value),
                        a.member.user_id,
                        a.member.name,
                        now,
                    )
                    for a in answers
                ],
            )
        if tasks is not None:
            conn.execute(DELETE_TASKS, (plan.id,))
            conn.executemany(
                INSERT_TASK,
                task_rows(plan.id, tasks, _from_iso),
            )
        if checklist is not None:
            conn.execute(DELETE_CHECKLIST, (plan.id,))
            conn.executemany(
                INSERT_CHECKLIST,
                checklist_rows(plan.id, checklist, _from_iso),
            )
        plan.version = seen_version + 1
        return True

    # -- helpers ----------------------------------------------------------------------------

    async def _begin_write(self) -> None:
        if not self.writing:
            # Waits (without blocking the loop) for the write lock, then sees the latest commit.
            await self._driver.begin_immediate(self._conn)
            self.writing = True

    def _scope(self) -> tuple[bool, tuple[Any, ...]]:
        """Which statement variant, and the parameters naming this chat's association."""
        if self._association_id is not None:
            return True, (self._association_id,)
        return False, (self._chat.transport, self._chat.chat_id)

    def _plan_association(self, plan_id: int) -> int:
        row = self._conn.execute(PLAN_ASSOCIATION, (plan_id,)).fetchall()[0]
        self._association_id = int(row[0])
        return self._association_id

    def _ensure_association(self) -> int:
        """The chat's association id, creating the row when missing (we hold the write lock)."""
        chat = self._chat
        conn = self._conn
        key = (chat.transport, chat.chat_id)
        rows = conn.execute(FIND_ASSOCIATION, key).fetchall()
        if not rows:
            conn.execute(INSERT_ASSOCIATION, (*key, chat.title, _now()))
            rows = conn.execute(FIND_ASSOCIATION, key).fetchall()
        else:
            association_id, title = rows[0]
            if chat.title and title != chat.title:
                conn.execute(RETITLE_ASSOCIATION, (chat.title, association_id))
        self._association_id = int(rows[0][0])
        return self._association_id

    def _ensure_member(self, association_id: int, member: MemberRef) -> None:
        entry = (association_id, member.user_id, member.name)
        if entry in self.new_members or self._members.knows(*entry):
            return
        self._conn.execute(UPSERT_MEMBER, entry)
        self.new_members.append(entry)


def _json(value: Any) -> Any:
    """A JSON column's value. SQLite gives the columns declared JSON numeric affinity, so a
    stored number comes back as a number, not as its JSON text (SQLAlchemy does the same)."""
    return _loads(value) if isinstance(value, str | bytes) else value


def _answer(row: Any) -> AnswerRecord:
    question, value, member_id, member_name = row
    return AnswerRecord(
        question=question,
        value=_json(value),
        member=MemberRef(user_id=member_id, name=member_name),
    )
