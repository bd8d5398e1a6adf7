"""A scratch PostgreSQL database for one benchmark run, when a server answers.

The database is created next to the one named by the URL (default: the test server,
``postgresql://postgres@127.0.0.1:5432/test``, or ``PARTNERBOT_BENCH_PG_URL``) and dropped at
the end, so a run never touches existing data. No server, or no right to create databases:
the PostgreSQL variant is left out and the report says why.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

DEFAULT_URL = os.environ.get(
    "PARTNERBOT_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
CONNECT_TIMEOUT = 3.0


@dataclass(frozen=True)
class Scratch:
    base_url: str
    url: str  # the scratch database
    server_version: str


async def _connect(url: str):  # type: ignore[no-untyped-def]
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return await asyncpg.connect(
        host=u.host,
        port=u.port,
        user=u.username,
        password=u.password,
        database=u.database,
        timeout=CONNECT_TIMEOUT,
    )


async def create(base_url: str = DEFAULT_URL) -> Scratch | str:
    """A new empty database, or the reason why there is none."""
    from sqlalchemy.engine import make_url

    shown = make_url(base_url).render_as_string(hide_password=True)
    try:
        conn = await _connect(base_url)
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        return f"no PostgreSQL answers at {shown} ({type(exc).__name__})"
    try:
        version = str(await conn.fetchval("SHOW server_version"))
        name = f"partnerbot_bench_{os.getpid()}_{secrets.token_hex(3)}"
        await conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        return f"cannot create a scratch database at {shown} ({type(exc).__name__}: {exc})"
    finally:
        await conn.close()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    return Scratch(base_url, url, version.split()[0])


async def drop(scratch: Scratch) -> None:
    from sqlalchemy.engine import make_url

    conn = await _connect(scratch.base_url)
    try:
        name = make_url(scratch.url).database
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
