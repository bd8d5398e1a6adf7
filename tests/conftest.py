"""Shared fixtures.

Storage tests take ``db_url`` (or ``store``) and run once per backend: on an SQLite file in
``tmp_path`` and on PostgreSQL. The PostgreSQL server comes from ``PARTNERBOT_TEST_PG_URL``
(default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); its runs carry the
``postgres`` marker (``-m "not postgres"`` leaves them out) and are skipped, with the reason,
when no server answers. Each test run works in a scratch database of its own on that server
(created next to the given one, dropped at the end), so parallel runs don't collide; each test
starts from empty tables.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.locales import install_catalogs
from storage.db import default_sqlite_url
from storage.models import ALL_TABLES
from storage.store import SqlStore

# The texts, loaded once for the whole run (as the composition root does at start).
install_catalogs()

PG_URL = os.environ.get(
    "PARTNERBOT_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
PG_CONNECT_TIMEOUT = 3.0

T = TypeVar("T")


def run_in_thread(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a private event loop in a worker thread.

    For synchronous fixtures: ``asyncio.run`` on the main thread would unset the event loop
    that pytest-asyncio keeps there for the tests.
    """

    async def main() -> T:
        return await make()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def _pg_connect(url: str) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(
        host=u.host,
        port=u.port,
        user=u.username,
        password=u.password,
        database=u.database,
        timeout=PG_CONNECT_TIMEOUT,
    )


def _scratch_prefix(base_database: str) -> str:
    # Names carry this host and the creating pid, so that leftovers of killed runs on this
    # machine can be recognised and dropped.
    host = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
    return f"{base_database}_pbtest_{host}_"


async def _create_scratch_database(url: str) -> str:
    """A new empty database next to ``url``'s; ``url`` itself when we may not create one."""
    base = make_url(url)
    prefix = _scratch_prefix(base.database or "")
    name = f"{prefix}{os.getpid()}_{secrets.token_hex(3)}"
    if len(name) > 63:
        raise RuntimeError(f"database name {name!r} is too long for PostgreSQL")
    conn = await _pg_connect(url)
    try:
        await _drop_leftovers(conn, prefix)
        await conn.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.InsufficientPrivilegeError:
        return url  # Shared then: every test still starts from dropped tables.
    finally:
        await conn.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def _drop_leftovers(conn: asyncpg.Connection, prefix: str) -> None:
    """Drop scratch databases of earlier runs on this host whose process is gone."""
    rows = await conn.fetch(
        "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix
    )
    for row in rows:
        pid = row["datname"][len(prefix) :].split("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _drop_scratch_database(base_url: str, scratch_url: str) -> None:
    if scratch_url == base_url:
        return
    conn = await _pg_connect(base_url)
    try:
        name = make_url(scratch_url).database
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _drop_tables(url: str) -> None:
    conn = await _pg_connect(url)
    try:
        tables = ", ".join(f'"{t}"' for t in (*ALL_TABLES, "alembic_version"))
        await conn.execute(f"DROP TABLE IF EXISTS {tables} CASCADE")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of this run's PostgreSQL database; skips (once per session) when none answers."""
    shown = make_url(PG_URL).render_as_string(hide_password=True)
    try:
        url = run_in_thread(lambda: _create_scratch_database(PG_URL))
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        pytest.skip(f"no PostgreSQL answers at {shown}: {type(exc).__name__}: {exc}")
    yield url
    run_in_thread(lambda: _drop_scratch_database(PG_URL, url))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no tables yet), once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        # In a directory that does not exist yet: make_engine has to create it.
        return default_sqlite_url(tmp_path / "data" / "partnerbot.db")
    url: str = request.getfixturevalue("pg_url")
    run_in_thread(lambda: _drop_tables(url))
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    """A migrated ``SqlStore`` on ``db_url``, closed after the test."""
    opened = await SqlStore.open(db_url)
    yield opened
    await opened.close()


@pytest.fixture
async def open_store(db_url: str) -> AsyncIterator[Callable[[], Awaitable[SqlStore]]]:
    """Opens further ``SqlStore`` instances (own engines) on ``db_url``; closes them after."""
    opened: list[SqlStore] = []

    async def _open() -> SqlStore:
        opened.append(await SqlStore.open(db_url))
        return opened[-1]

    yield _open
    for s in opened:
        await s.close()
