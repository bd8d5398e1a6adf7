"""Schema migrations (Alembic), driven from code: no ``alembic.ini`` is needed at run time.

``upgrade``/``downgrade`` are synchronous (the CLI: ``partnerbot db upgrade``) and run their
own event loop inside Alembic's env.py, so they must not be called from a thread that is
running one; async code uses ``upgrade_async``/``downgrade_async``, which run them in a worker
thread.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# Alembic is imported where used: a store whose schema is current never loads it.
if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

# The revisions in migrations/versions, oldest first, so that a start (and /readyz) can
# compare the database's (one query) without loading Alembic; a test checks them against
# Alembic's.
REVISIONS = ("0001", "0002", "0003", "0004")
HEAD_REVISION = REVISIONS[-1]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Alembic's ``context`` and ``op`` are process-wide proxies: two migrations running at once in
# one process (threads) would drive each other's. Other processes are kept apart by the
# database (see migrations/env.py).
_ONE_AT_A_TIME = threading.Lock()


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` (also usable with ``alembic.command``)."""
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolates "%": escape it (URL-encoded passwords contain it).
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # env.py reads the URL from here first, verbatim.
    config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    """The newest revision shipped with this package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def behind(revision: str | None) -> bool:
    """Whether a database at ``revision`` lacks migrations this release ships. An unknown
    revision is a newer release's (rolling upgrade: database first); migrations only add."""
    return revision is None or (revision != HEAD_REVISION and revision in REVISIONS)


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this package's migrations (else a newer release's)."""
    return revision in REVISIONS


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    with _ONE_AT_A_TIME:
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    with _ONE_AT_A_TIME:
        command.downgrade(alembic_config(url), revision)


@dataclass(frozen=True)
class DowngradePreview:
    """What ``downgrade(url, revision)`` would do: from/to which revision, what it drops."""

    current: str | None
    target: str | None  # None: an empty database (base)
    tables: tuple[str, ...]  # tables the downgrade drops
    plans: int  # plans stored in them


def preview_downgrade(url: str, revision: str = "base") -> DowngradePreview:
    """Run the downgrade inside a transaction, look, and roll it back: nothing changes.

    Both databases have transactional DDL (SQLite through ``storage.db``'s BEGIN), so the
    answer is exactly what the real downgrade would do, for any migration. Raises Alembic's
    CommandError for a revision that cannot be reached (e.g. nothing left to undo).
    """
    from sqlalchemy import pool

    from storage.db import make_engine

    async def run() -> DowngradePreview:
        engine = make_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(_dry_run, url, revision)
        finally:
            await engine.dispose()

    with _ONE_AT_A_TIME:
        return asyncio.run(run())


def _dry_run(conn: Connection, url: str, revision: str) -> DowngradePreview:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect, text

    transaction = conn.begin()
    try:
        before = set(inspect(conn).get_table_names())
        plans = (
            conn.execute(text("SELECT count(*) FROM plan")).scalar_one() if "plan" in before else 0
        )
        current = MigrationContext.configure(conn).get_current_revision()
        config = alembic_config(url)
        config.attributes["connection"] = conn  # env.py migrates on it, inside our transaction
        command.downgrade(config, revision)
        after = set(inspect(conn).get_table_names())
        target = MigrationContext.configure(conn).get_current_revision()
    finally:
        transaction.rollback()
    lost = tuple(sorted(before - after - {"alembic_version"}))
    return DowngradePreview(current, target, lost, int(plans) if "plan" in lost else 0)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


async def downgrade_async(url: str, revision: str = "base") -> None:
    await asyncio.to_thread(downgrade, url, revision)
