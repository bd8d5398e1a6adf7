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
from tests.storage.sql_helpers import ALICE, BOB, GROUP, answer, new_plan

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
    assert (await store.count_rows(GROUP))["member"] == 2


async def test_an_answer_costs_four_round_trips(store: SqlStore) -> None:
    """Read, BEGIN, one write, COMMIT on PostgreSQL (SQLite: the same statements in-process,
    with the member's row written once)."""
    await new_plan(store)
    assert await answer(store, GROUP, ALICE, "goals", ["x"])  # Alice's row is known now
    before = store.driver.round_trips
    assert await answer(store, GROUP, ALICE, "goals", ["y"])
    used = store.driver.round_trips - before
    # PostgreSQL: read, BEGIN, save_all, COMMIT. SQLite: read, BEGIN, save, answers, COMMIT.
    assert used == (4 if store.driver.dialect == "postgresql" else 5)


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


def _hold_write_lock(path: Path, seconds: float, holding: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        holding.set()
        threading.Event().wait(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def _ticks_while(coro: object) -> tuple[object, int]:
    """Run ``coro`` while counting how often the loop gets to run something else."""
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    try:
        result = await coro  # type: ignore[misc]
    finally:
        done = True
        await task
    return result, ticks


async def test_a_lock_held_elsewhere_is_waited_for_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.db"
    store = await SqlStore.open(default_sqlite_url(path))
    try:
        await new_plan(store)
        holding = threading.Event()
        holder = threading.Thread(target=_hold_write_lock, args=(path, 0.3, holding))
        holder.start()
        holding.wait()
        saved, ticks = await _ticks_while(answer(store, GROUP, BOB, "goals", ["x"]))
        holder.join()
        assert saved is True
        assert ticks >= 10  # ~0.3 s of 5 ms ticks: the loop kept running
    finally:
        await store.close()


async def test_a_lock_held_too_long_fails_the_event_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.db"
    store = await SqlStore.open(default_sqlite_url(path))
    try:
        plan = await new_plan(store)
        monkeypatch.setattr(store.driver, "busy_timeout", 0.1)
        holding = threading.Event()
        holder = threading.Thread(target=_hold_write_lock, args=(path, 0.5, holding))
        holder.start()
        holding.wait()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await answer(store, GROUP, BOB, "goals", ["x"])
        holder.join()
        # Nothing was written, and the store works on.
        async with store.session(GROUP) as s:
            assert plan.id is not None and await s.answer_history(plan.id) == []
        assert await answer(store, GROUP, BOB, "goals", ["y"])
    finally:
        await store.close()


async def test_checkpoints_keep_the_wal_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver, "CHECKPOINT_EVERY", 20)
    monkeypatch.setattr(sqlite_driver, "WAL_LIMIT", 100)
    path = tmp_path / "bot.db"
    store = await SqlStore.open(default_sqlite_url(path))
    member = MemberRef("9", "Nine")
    driver = store.driver
    assert isinstance(driver, sqlite_driver.SqliteDriver)
    try:
        await new_plan(store, answers={"filler": "x" * 3000})
        sizes = []
        for n in range(600):
            assert await answer(store, GROUP, member, "n", n)
            # A checkpoint runs in a worker thread while the loop goes on; on a loaded
            # machine that thread may get no CPU for a while. Waiting for it keeps the WAL's
            # size a property of the code, not of the scheduler.
            if driver._pending is not None:
                await asyncio.wrap_future(driver._pending)
            if n % 100 == 99:
                sizes.append((path.parent / "bot.db-wal").stat().st_size)
        # Without checkpoints the WAL would grow by ~2 pages a commit (~5 MB here).
        assert max(sizes) < 2_000_000, sizes
        assert sizes[-1] <= sizes[1] * 1.5, sizes
        async with store.session(GROUP) as s:
            plan = await s.current_plan()
            assert plan is not None and plan.answers["n"] == 599
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
    }
