"""Alembic migrations, run from code, on both backends."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import make_engine
from storage.models import ALL_TABLES, SERVICE_TABLES, Base
from storage.store import SqlStore
from tests.storage.sql_helpers import GROUP

TABLES = set(ALL_TABLES) | set(SERVICE_TABLES)
HEAD = "0004"
ROOT = Path(__file__).resolve().parents[2]


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    assert await _tables(db_url) == set()

    await migrate.upgrade_async(db_url)
    assert await _tables(db_url) == TABLES | {"alembic_version"}
    assert await _revision(db_url) == migrate.head_revision() == HEAD

    await migrate.downgrade_async(db_url)
    assert await _tables(db_url) == {"alembic_version"}
    assert await _revision(db_url) is None

    await migrate.upgrade_async(db_url)
    assert await _tables(db_url) == TABLES | {"alembic_version"}
    # And the schema is usable.
    store = await SqlStore.open(db_url, migrate=False)
    try:
        async with store.session(GROUP) as s:
            assert await s.current_plan() is None
    finally:
        await store.close()


async def test_migrated_schema_matches_the_models(db_url: str) -> None:
    await migrate.upgrade_async(db_url)

    def differences(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_concurrent_upgrades_in_one_process(db_url: str) -> None:
    await asyncio.gather(*(migrate.upgrade_async(db_url) for _ in range(3)))
    assert await _revision(db_url) == HEAD
    assert await _tables(db_url) == TABLES | {"alembic_version"}


async def test_instances_starting_together_migrate_once(db_url: str) -> None:
    """Several bot processes upgrading at the same moment: all succeed, schema made once."""
    code = "import sys; from storage import migrate; migrate.upgrade(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, db_url, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]
    errors = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
    for proc, (_, err) in zip(procs, errors, strict=True):
        assert proc.returncode == 0, err.decode()
    assert await _revision(db_url) == HEAD
    await migrate.upgrade_async(db_url)  # and again: nothing to do
    assert await _tables(db_url) == TABLES | {"alembic_version"}


async def test_open_migrates_by_default(db_url: str) -> None:
    store = await SqlStore.open(db_url)
    await store.close()
    assert await _revision(db_url) == HEAD


def test_sync_api_outside_an_event_loop(tmp_path) -> None:
    from storage.db import default_sqlite_url

    url = default_sqlite_url(tmp_path / "cli.db")
    migrate.upgrade(url)
    migrate.downgrade(url)
    migrate.upgrade(url, "0001")
    assert asyncio.run(_revision(url)) == "0001"


async def test_0004_adds_the_partner_link_and_goes_back(db_url: str) -> None:
    """0003 -> 0004 keeps a stored invite; 0004 -> 0003 drops only the new columns."""

    async def columns() -> set[str]:
        engine = make_engine(db_url)
        try:
            async with engine.connect() as conn:
                found = await conn.run_sync(lambda c: inspect(c).get_columns("partner_invite"))
                return {c["name"] for c in found}
        finally:
            await engine.dispose()

    await migrate.upgrade_async(db_url, "0003")
    assert {"revoked_at", "partner_plan_id"}.isdisjoint(await columns())
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO association (id, transport, external_id, title, created_at) "
                    "VALUES (1, 'console', 'a', 'A', CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO plan (id, association_id, status, state, version, language, "
                    "answers, meta, created_at, updated_at) VALUES (1, 1, 'open', 'aims', 1, "
                    "'en', '{}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO partner_invite (plan_id, token_hash, expires_at) "
                    "VALUES (1, 'h', CURRENT_TIMESTAMP)"
                )
            )
        await migrate.upgrade_async(db_url, "0004")
        assert await _revision(db_url) == "0004"
        assert {"revoked_at", "partner_plan_id"} <= await columns()
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT token_hash FROM partner_invite"))).all()
            assert [r[0] for r in rows] == ["h"]
        await migrate.downgrade_async(db_url, "0003")
        assert await _revision(db_url) == "0003"
        assert {"revoked_at", "partner_plan_id"}.isdisjoint(await columns())
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT token_hash FROM partner_invite"))).all()
            assert [r[0] for r in rows] == ["h"]
    finally:
        await engine.dispose()


async def test_follow_through_migration_up_and_down(db_url: str) -> None:
    """0003 adds the follow-through tables and columns on top of 0002, and takes them away."""
    await migrate.upgrade_async(db_url, "0002")
    assert "reminder" not in await _tables(db_url)
    await migrate.upgrade_async(db_url, "0003")
    assert await _tables(db_url) == TABLES | {"alembic_version"}

    def columns(conn: Connection, table: str) -> set[str]:
        return {c["name"] for c in inspect(conn).get_columns(table)}

    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert {"due_on", "claimed_by_id"} <= await conn.run_sync(columns, "task")
            assert {"time_zone", "remind_hour", "reminders"} <= await conn.run_sync(
                columns, "association"
            )
    finally:
        await engine.dispose()
    await migrate.downgrade_async(db_url, "0002")
    assert await _revision(db_url) == "0002"
    assert await _tables(db_url) == TABLES - {"reminder", "review_answer"} | {"alembic_version"}
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert "due_on" not in await conn.run_sync(columns, "task")
    finally:
        await engine.dispose()
