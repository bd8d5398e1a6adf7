"""The drivers of the per-event path (``storage.sqlite_driver``, ``storage.pg_driver``) under
the one session (``storage.session``): the rows SQLAlchemy reads, the statements compiled from
``storage.statements``, round trips per event, and on SQLite no waiting on the event loop's
thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.model import AnswerRecord, ChecklistRecord, MemberRef, Plan, TaskRecord
from storage import migrate, sqlite_driver, statements
from storage.db import default_sqlite_url
from storage.models import AnswerRow, ChecklistItemRow, PlanRow, TaskRow
from storage.store import SqlStore
from tests.storage.sql_helpers import ALICE, BOB, GROUP, answer, count_rows, new_plan

ANSWERS = {"goals": ["event"], "scale": 4, "text": 'Ääkköset "quoted"', "none": None}


def test_the_compiled_statements_match_their_definitions() -> None:
    # Run `python -m storage.statements` after changing storage/statements.py or the tables.
    compiled = Path(statements.__file__).with_name("compiled.py")
    assert compiled.read_text(encoding="utf-8") == statements.render()


def test_the_head_revision_known_without_alembic_is_alembics() -> None:
    assert migrate.head_revision() == migrate.HEAD_REVISION


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


async def test_sessions_store_what_sqlalchemy_reads(store: SqlStore, query) -> None:
    plan_id = await _write_everything(store)
    async with store.session(GROUP) as s:
        plan = await s.current_plan()
        history = await s.answer_history(plan_id)
        last = await s.last_answer(plan_id, "goals")
        tasks = await s.tasks(plan_id)
        items = await s.checklist(plan_id)
    assert isinstance(plan, Plan) and plan.answers["goals"] == ["network", "event"]
    assert plan.answers["scale"] == 4 and plan.answers["none"] is None
    assert history == [
        AnswerRecord("goals", ["network", "event"], BOB),
        AnswerRecord("skipped", None, ALICE),
    ]
    assert last == AnswerRecord("goals", ["network", "event"], BOB)
    assert [t.done_at for t in tasks] == [None, "2025-05-01T12:00:00+00:00"]
    assert items == [ChecklistRecord("c1", None, "Bob", "2025-05-02T05:30:00+00:00")]
    # The same rows through SQLAlchemy's types (JSON, UTCDateTime, Boolean).
    (stored,) = await query(select(PlanRow.answers, PlanRow.meta))
    assert stored.answers == plan.answers and stored.meta == {"answered_by": {"goals": "1"}}
    values = await query(select(AnswerRow.value).order_by(AnswerRow.id))
    assert [r.value for r in values] == [["network", "event"], None]
    done = await query(select(TaskRow.done, TaskRow.done_at).order_by(TaskRow.id))
    assert [tuple(r) for r in done] == [(False, None), (True, datetime(2025, 5, 1, 12, tzinfo=UTC))]
    (item,) = await query(select(ChecklistItemRow.custom, ChecklistItemRow.done_at))
    assert tuple(item) == (False, datetime(2025, 5, 2, 5, 30, tzinfo=UTC))
    assert (await count_rows(store, GROUP))["member"] == 2


async def test_an_answer_costs_two_round_trips_on_postgresql(store: SqlStore) -> None:
    """The read, then one statement that writes and commits on PostgreSQL (SQLite: read, BEGIN
    IMMEDIATE for the write lock, save, answers, COMMIT, in-process; the member's row once)."""
    await new_plan(store)
    assert await answer(store, GROUP, ALICE, "goals", ["x"])  # Alice's row is known now
    before = store.driver.round_trips
    assert await answer(store, GROUP, ALICE, "goals", ["y"])
    used = store.driver.round_trips - before
    assert used == (2 if store.driver.dialect == "postgresql" else 5)


async def test_a_store_at_the_newest_schema_opens_without_alembic(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await SqlStore.open(db_url)  # migrates (the fixture database is empty)
    await first.close()

    async def no_migration(url: str, revision: str = "head") -> None:
        raise AssertionError("migrated a database at the newest schema")

    monkeypatch.setattr(migrate, "upgrade_async", no_migration)
    store = await SqlStore.open(db_url)
    try:
        assert await store.schema_revision() == migrate.HEAD_REVISION
        assert (await new_plan(store)).id is not None
    finally:
        await store.close()


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
        monkeypatch.setattr(store.driver, "busy_timeout", 0.1)
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
    monkeypatch.setattr(sqlite_driver, "CHECKPOINT_EVERY", 20)
    # Every checkpoint after the first finds the WAL over the limit: a complete one.
    monkeypatch.setattr(sqlite_driver, "WAL_LIMIT", 0)
    path = tmp_path / "bot.db"
    store = await SqlStore.open(default_sqlite_url(path))
    driver = store.driver
    assert isinstance(driver, sqlite_driver.SqliteDriver)
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


async def test_sqlite_connections_are_configured(tmp_path: Path) -> None:
    store = await SqlStore.open(default_sqlite_url(tmp_path / "bot.db"))
    try:
        driver = store.driver
        assert isinstance(driver, sqlite_driver.SqliteDriver)
        conn = await driver.acquire()
        try:
            pragmas = {
                name: conn.execute(f"PRAGMA {name}").fetchall()[0][0]
                for name in (
                    "journal_mode",
                    "synchronous",
                    "foreign_keys",
                    "busy_timeout",
                    "wal_autocheckpoint",
                    "cache_size",
                )
            }
        finally:
            await driver.release(conn)
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
        "cache_size": -1024,  # KiB: a smaller page cache than SQLite's own, for memory
    }
