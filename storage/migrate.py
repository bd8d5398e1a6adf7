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
from typing import TYPE_CHECKING

# Alembic is imported where used: a store whose schema is current never loads it.
if TYPE_CHECKING:
    from alembic.config import Config

# The revisions in migrations/versions, oldest first, so that a start (and /readyz) can
# compare the database's (one query) without loading Alembic; a test checks them against
# Alembic's.
REVISIONS = ("0001", "0002", "0003")
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


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    with _ONE_AT_A_TIME:
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    with _ONE_AT_A_TIME:
        command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


async def downgrade_async(url: str, revision: str = "base") -> None:
    await asyncio.to_thread(downgrade, url, revision)
