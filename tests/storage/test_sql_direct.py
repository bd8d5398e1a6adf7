"""The direct drivers of the per-event path (``storage.sqlite_direct``,
``storage.postgres_direct``): same contract as the SQLAlchemy session, same rows, and on
SQLite no waiting on the event loop's thread."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
from pathlib import Path

import pytest

from flows.model import AnswerRecord, ChecklistRecord, MemberRef, Plan, TaskRecord
from flows.ports import PlanSession
from storage import sqlite_direct
from storage.db import default_sqlite_url
from storage.postgres_direct import PgSession
from storage.session import SqlPlanSession
from storage.sqlite_direct import SqliteSession
from storage.store import SqlStore
from tests.storage.sql_helpers import ALICE, BOB, GROUP, answer, new_plan

ANSWERS = {"goals": ["event"], "scale": 4, "text": 'Ääkköset "quoted"', "none": None}


def _parameters(function: object) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("session_class", [SqliteSession, PgSession])
def test_direct_sessions_have_every_method_of_the_protocol(session_class: type) -> None:
    methods = [n for n, f in vars(PlanSession).items() if inspect.iscoroutinefunction(f)]
    for name in methods:
        implementation = getattr(session_class, name)
        assert inspect.iscoroutinefunction(implementation), name
        assert _parameters(implementation) == _parameters(getattr(SqlPlanSession, name)), name


async def test_the_store_uses_the_direct_driver(store: SqlStore) -> None:
    async with store.session(GROUP) as s:
        assert isinstance(s, SqliteSession | PgSession)


async def _write_everything(store: SqlStore) -> int:
    plan = await new_plan(store, answers=dict(ANSWERS), meta={"answered_by": {"goals": "1"}})
    assert plan.id is not None
    assert await answer(store, GROUP, BOB, "goals", ["network", "event"])
    assert await answer(store, GROUP, ALICE, "skipped", None)
    async with store.session(GROUP) as s:
        loaded = await s.current_plan()
        assert loaded is not None
        tasks = [
            TaskRecord("venue", "prepare", "us", "premises", "Alice"),
            TaskRecord("report", "follow_up", "partner", None, None, "Bob", "2025-05-01T12:00:00"),
        ]
        items = [ChecklistRecord("c1", None, "Bob", "2025-05-02T08:30:00+03:00")]
        assert await s.save_plan(loaded, loaded.version, ALICE, (), tasks, items)
    return plan.id


async def _read_everything(store: SqlStore, plan_id: int) -> tuple[object, ...]:
    async with store.session(GROUP) as s:
        return (
            await s.current_plan(),
            await s.answer_history(plan_id),
            await s.last_answer(plan_id, "goals"),
            await s.tasks(plan_id),
            await s.checklist(plan_id),
        )


@pytest.mark.parametrize("writer_direct", [True, False], ids=["direct-writes", "engine-writes"])
async def test_both_paths_store_and_read_the_same_rows(db_url: str, writer_direct: bool) -> None:
    writer = await SqlStore.open(db_url, direct=writer_direct)
    reader = await SqlStore.open(db_url, migrate=False, direct=not writer_direct)
    try:
        plan_id = await _write_everything(writer)
        assert await _read_everything(reader, plan_id) == await _read_everything(writer, plan_id)
        plan, history, last, tasks, items = await _read_everything(reader, plan_id)
        assert isinstance(plan, Plan) and plan.answers["goals"] == ["network", "event"]
        assert plan.answers["scale"] == 4 and plan.answers["none"] is None
        assert history == [
            AnswerRecord("goals", ["network", "event"], BOB),
            AnswerRecord("skipped", None, ALICE),
        ]
        assert last == AnswerRecord("goals", ["network", "event"], BOB)
        assert [t.done_at for t in tasks] == [None, "2025-05-01T12:00:00+00:00"]  # type: ignore[attr-defined]
        assert items == [ChecklistRecord("c1", None, "Bob", "2025-05-02T05:30:00+00:00")]
        assert (await writer.count_rows(GROUP))["member"] == 2
    finally:
        await writer.close()
        await reader.close()


# -- SQLite: the loop never waits inside SQLite ----------------------------------------------


def _hold_write_lock_until(path: Path, holding: threading.Event, release: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        holding.set()
        release.wait(30)  # a bound, should the test be broken: the lock is never kept forever
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_a_lock_held_elsewhere_is_waited_for_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    """Another process holds the write lock until the event loop has run other work a hundred
    times while our write waits. If the write blocked the loop inside SQLite, those turns
    could not come, the lock would stay held, and the write would fail: no timing involved.
    """
    path = tmp_path / "bot.db"
    store = await SqlStore.open(default_sqlite_url(path))
    try:
        await new_plan(store)
        holding, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=_hold_write_lock_until, args=(path, holding, release))
        holder.start()
        holding.wait()
        turns = 0

        async def other_work() -> None:
            nonlocal turns
            while turns < 100:
                turns += 1
                await asyncio.sleep(0)
            release.set()  # the loop ran while the write waited: let the other side commit

        worker = asyncio.create_task(other_work())
        saved = await answer(store, GROUP, BOB, "goals", ["x"])
        await worker
        holder.join()
        assert saved is True
        assert turns == 100
    finally:
        release.set()
        await store.close()


async def test_a_lock_held_too_long_fails_the_event_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.db"
    store = await SqlStore.open(default_sqlite_url(path))
    try:
        plan = await new_plan(store)
        monkeypatch.setattr(store._direct, "busy_timeout", 0.1)
        holding, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=_hold_write_lock_until, args=(path, holding, release))
        holder.start()
        holding.wait()
        try:  # the lock is held for as long as the write tries, however long that takes
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await answer(store, GROUP, BOB, "goals", ["x"])
        finally:
            release.set()
        holder.join()
        # Nothing was written, and the store works on.
        async with store.session(GROUP) as s:
            assert plan.id is not None and await s.answer_history(plan.id) == []
        assert await answer(store, GROUP, BOB, "goals", ["y"])
    finally:
        await store.close()


async def test_checkpoints_run_and_the_wal_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the driver guarantees: checkpoints run every CHECKPOINT_EVERY commits; one past
    WAL_LIMIT, with this store's writers held back, copies the whole WAL; the next commit then
    starts the WAL from its beginning. Each checkpoint is let finish before the next answer, so
    no read of ours overlaps it (a reader's snapshot may hold a checkpoint back: a matter of
    scheduling). The WAL file's size on disk is not asserted: it depends on that scheduling."""
    monkeypatch.setattr(sqlite_direct, "CHECKPOINT_EVERY", 20)
    # Every checkpoint after the first finds the WAL over the limit: a complete one.
    monkeypatch.setattr(sqlite_direct, "WAL_LIMIT", 0)
    path = tmp_path / "bot.db"
    store = await SqlStore.open(default_sqlite_url(path))
    driver = store._direct
    assert isinstance(driver, sqlite_direct.SqliteDriver)
    member = MemberRef("9", "Nine")

    async def settled() -> None:
        """Wait for the checkpoint in flight, if any (the loop runs its other tasks)."""
        if driver._catch_up is not None:
            await driver._catch_up
        if driver._pending is not None:
            await asyncio.wrap_future(driver._pending)

    try:
        await new_plan(store, answers={"filler": "x" * 3000})
        for n in range(200):
            assert await answer(store, GROUP, member, "n", n)
            await settled()
        # Checkpoints ran, and the last one copied every frame of the WAL.
        assert driver.wal_frames > 0
        assert driver.backfilled == driver.wal_frames
        frames_before = driver.wal_frames
        # So the next commit writes the WAL from its start: it holds just that commit.
        assert await answer(store, GROUP, member, "n", 200)
        await settled()
        reader = sqlite3.connect(path)
        try:
            _busy, frames_now, _copied = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            reader.close()
        assert 0 < frames_now < frames_before
        async with store.session(GROUP) as s:
            plan = await s.current_plan()
            assert plan is not None and plan.answers["n"] == 200
    finally:
        await store.close()


async def test_sqlite_direct_connections_are_configured(tmp_path: Path) -> None:
    store = await SqlStore.open(default_sqlite_url(tmp_path / "bot.db"))
    try:
        driver = store._direct
        assert isinstance(driver, sqlite_direct.SqliteDriver)
        conn = driver.acquire()
        try:
            pragmas = {
                name: conn.execute(f"PRAGMA {name}").fetchall()[0][0]
                for name in (
                    "journal_mode",
                    "synchronous",
                    "foreign_keys",
                    "busy_timeout",
                    "wal_autocheckpoint",
                )
            }
        finally:
            driver.release(conn)
    finally:
        await store.close()
    # The product's durability (WAL, synchronous=NORMAL) and integrity (foreign keys); locks
    # are waited for outside SQLite, checkpoints run outside the commit.
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 0,
        "wal_autocheckpoint": 0,
    }
