"""Engines: SQLite settings per connection, URL handling, member cache bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import SQLITE_BEGIN, async_url, default_sqlite_url, make_engine
from storage.member_cache import MemberCache
from storage.store import SqlStore


async def test_sqlite_connections_are_configured(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "bot.db"
    engine = make_engine(default_sqlite_url(path))
    try:
        async with engine.connect() as conn:
            pragmas = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
            }
    finally:
        await engine.dispose()
    assert path.parent.is_dir()
    # synchronous=1 is NORMAL
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }


async def test_sqlite_transactions_are_real(tmp_path: Path) -> None:
    """Even DDL is rolled back: the driver no longer runs statements outside a transaction."""
    engine = make_engine(default_sqlite_url(tmp_path / "t.db"))
    try:
        async with engine.connect() as conn:
            async with conn.begin():
                await conn.execute(text("CREATE TABLE kept (x INTEGER)"))
            trans = await conn.begin()
            await conn.execute(text("CREATE TABLE dropped (x INTEGER)"))
            await conn.execute(text("INSERT INTO kept VALUES (1)"))
            await trans.rollback()
            rows = (await conn.execute(text("SELECT name FROM sqlite_master"))).all()
            assert [r.name for r in rows] == ["kept"]
            assert (await conn.execute(text("SELECT count(*) FROM kept"))).scalar() == 0
    finally:
        await engine.dispose()


async def test_lazy_transactions_read_without_one(tmp_path: Path) -> None:
    engine = make_engine(default_sqlite_url(tmp_path / "t.db"))

    async def in_transaction_after_a_read(**options: str) -> bool:
        async with engine.connect() as conn:
            await conn.execution_options(**options)
            async with conn.begin():
                await conn.execute(text("SELECT 1"))
                raw = await conn.get_raw_connection()
                return bool(raw.driver_connection.in_transaction)

    try:
        assert await in_transaction_after_a_read() is True  # BEGIN IMMEDIATE by default
        assert await in_transaction_after_a_read(**{SQLITE_BEGIN: "lazy"}) is False
    finally:
        await engine.dispose()


def test_urls() -> None:
    assert default_sqlite_url("rel/bot.db") == f"sqlite+aiosqlite:///{Path('rel/bot.db').resolve()}"
    assert async_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql://u@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgres://u@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgresql+asyncpg://u@h/db").drivername == "postgresql+asyncpg"


async def test_plain_urls_get_async_drivers(tmp_path: Path) -> None:
    sqlite_engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    pg_engine = make_engine("postgresql://nobody@127.0.0.1:1/none")  # not connected
    try:
        assert sqlite_engine.dialect.driver == "aiosqlite"
        assert pg_engine.dialect.driver == "asyncpg"
    finally:
        await sqlite_engine.dispose()
        await pg_engine.dispose()


async def test_in_memory_sqlite_is_refused_by_the_store() -> None:
    for url in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:", "sqlite://"):
        with pytest.raises(ValueError, match="in-memory"):
            await SqlStore.open(url)


def test_member_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    cache = MemberCache(maxsize=3)
    cache.add([(1, "a", "A"), (1, "b", "B"), (1, "c", "C")])
    assert cache.knows(1, "a", "A")  # a is now the most recently used
    cache.add([(2, "a", "A")])
    assert len(cache) == 3
    assert not cache.knows(1, "b", "B")  # evicted
    assert cache.knows(1, "a", "A") and cache.knows(1, "c", "C") and cache.knows(2, "a", "A")
    assert not cache.knows(1, "a", "Renamed")  # a changed name is not "known"


def test_member_cache_drops_a_deleted_association() -> None:
    cache = MemberCache()
    cache.add([(1, "a", "A"), (1, "b", "B"), (2, "a", "A")])
    cache.drop_association(1)
    assert len(cache) == 1
    assert not cache.knows(1, "a", "A")
    assert cache.knows(2, "a", "A")
