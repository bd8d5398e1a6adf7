"""Schema migrations (Alembic), driven from code: no ``alembic.ini`` is needed at run time.

``upgrade``/``downgrade`` are synchronous (the CLI: ``partnerbot db upgrade``) and run their
own event loop inside Alembic's env.py, so they must not be called from a thread that is
running one; async code uses ``upgrade_async``/``downgrade_async``, which run them in a worker
thread.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SQLITE_BEGIN

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Alembic's ``context`` and ``op`` are process-wide proxies: two migrations running at once in
# one process (threads) would drive each other's. Other processes are kept apart by the
# database (see migrations/env.py).
_ONE_AT_A_TIME = threading.Lock()


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` (also usable with ``alembic.command``)."""
    config = Config()
    # ConfigParser interpolates "%": escape it (URL-encoded passwords contain it).
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # env.py reads the URL from here first, verbatim.
    config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    """The newest revision shipped with this package."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def behind(revision: str | None) -> bool:
    """Whether a database at ``revision`` lacks migrations this release ships.

    A revision this release does not know comes from a newer release (rolling deployment:
    the database was upgraded first); that is not "behind", since migrations only add.
    """
    if revision is None:
        return True
    if revision == head_revision():
        return False
    known = {script.revision for script in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}
    return revision in known


def upgrade(url: str, revision: str = "head") -> None:
    with _ONE_AT_A_TIME:
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    with _ONE_AT_A_TIME:
        command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


async def downgrade_async(url: str, revision: str = "base") -> None:
    await asyncio.to_thread(downgrade, url, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The schema revision ``engine``'s database is at; None for a database never migrated.

    Raises what the driver raises when the database cannot be reached.
    """
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # a read: no need for the write lock
            await conn.execution_options(**{SQLITE_BEGIN: "lazy"})
        if not await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
            return None
        row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
    return None if row is None else str(row[0])
