"""The SQLite driver of the per-event path: the standard ``sqlite3`` module, run right on the
event loop's thread.

Why not SQLAlchemy + aiosqlite: one event (read, BEGIN IMMEDIATE, version-checked UPDATE,
INSERT, COMMIT) took ~3.4 ms through them (a hop to aiosqlite's thread per statement, plus
SQLAlchemy's execution machinery), ~0.1 ms through ``sqlite3``: small index lookups and writes
to the OS page cache (WAL with ``synchronous=NORMAL`` does not fsync on commit), cheaper than
handing them to another thread.

* Reads run outside a transaction (each SELECT, read to its end, is one consistent snapshot);
  the session takes the write lock with ``BEGIN IMMEDIATE`` right before its first write and
  commits when the event is done, so an answer is acknowledged only once it is committed
  (``storage.db`` explains why the lock is taken up front).
* The loop must never sleep inside SQLite waiting for a lock (a writer of this process would
  wait on itself): ``busy_timeout = 0``; writers of one store queue on an ``asyncio.Lock``,
  and a lock held elsewhere (another process or store) is waited for with ``asyncio.sleep``
  and retried, up to 5 s. Then "database is locked" is raised.
* Checkpoints are not left to the commit that crosses SQLite's 1000-page mark (it would hold
  the loop for up to 20 ms): every ``CHECKPOINT_EVERY`` commits a PASSIVE checkpoint runs in
  a worker thread. If commits keep landing during them and the WAL grows past ``WAL_LIMIT``
  frames, the next checkpoint holds back this store's writers (not the loop, not readers).
* Values are stored as SQLAlchemy stores them on SQLite (JSON text, naive-UTC timestamps,
  0/1 booleans), so the engine kept for migrations and administration reads the same rows.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from storage.compiled import SQLITE
from storage.session import bind

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
    # 1 MiB of page cache per connection, not SQLite's 2 MiB: each of up to MAX_IDLE
    # connections fills its own. Measured in `python -m bench` at 1,000 and 10,000 plans:
    # ~1 MB less peak memory, no more CPU per update (the pages are in the OS's cache).
    "PRAGMA cache_size=-1024",
)
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


class SqliteDriver:
    """Connections to one SQLite file for the event loop's thread, and its writers' queue."""

    dialect = "sqlite"
    missing_table = sqlite3.OperationalError

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
        self.round_trips = 0  # statements run (in this process: no network)

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

    async def acquire(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("the store is closed")
        return self._idle.pop() if self._idle else self._connect()

    async def release(self, conn: sqlite3.Connection) -> None:
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

    async def begin(self, conn: sqlite3.Connection) -> None:
        """Take the write lock: first in this store's queue, then SQLite's own."""
        self.round_trips += 1
        lock = self._writers()
        await lock.acquire()
        try:
            await self.retry(lambda: conn.execute("BEGIN IMMEDIATE"))
        except BaseException:
            lock.release()
            raise

    async def end(self, conn: sqlite3.Connection, *, commit: bool) -> None:
        """COMMIT (or ROLLBACK) the write transaction and let the next writer in."""
        self.round_trips += 1
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

    # -- statements -----------------------------------------------------------------------

    async def rows(
        self, conn: sqlite3.Connection, name: str, params: Mapping[str, Any]
    ) -> list[Any]:
        sql, args = _bind(name, params)
        self.round_trips += 1
        if conn.in_transaction:  # inside our own write transaction nothing can be busy
            return conn.execute(sql, args).fetchall()
        return await self.retry(lambda: conn.execute(sql, args).fetchall())

    async def run_many(
        self, conn: sqlite3.Connection, name: str, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        self.round_trips += 1
        args = [_bind(name, row)[1] for row in rows]
        conn.executemany(SQLITE[name][0], args)

    # -- times as SQLAlchemy stores them on SQLite: naive UTC text with microseconds --------

    @staticmethod
    def unstamp(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _bind(name: str, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Statement ``name``'s SQL and arguments, aware datetimes as SQLite stores them."""
    sql, args = bind(SQLITE, name, params)
    return sql, [_stamp(a) if isinstance(a, datetime) else a for a in args]


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
