"""The update log: each Telegram update id is taken on once per database, by any instance."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from storage import migrate
from storage.db import default_sqlite_url
from storage.models import TelegramUpdateRow
from storage.store import SqlStore
from storage.updates import UpdateLog


async def test_first_claim_wins_on_every_instance(db_url: str) -> None:
    first = await SqlStore.open(db_url)
    second = await SqlStore.open(db_url, migrate=False)
    try:
        one, two = UpdateLog.open(db_url), UpdateLog(second.driver)
        assert await one.claim(1001) is True
        assert await two.claim(1001) is False  # the copy reached the other instance
        assert await one.claim(1001) is False
        # Many instances racing for the same ids: each id is won exactly once.
        ids = range(2000, 2040)
        results = await asyncio.gather(
            *(log.claim(i) for i in ids for log in (one, two, UpdateLog(first.driver)))
        )
        assert sum(results) == len(ids)
        await one.close()
    finally:
        await first.close()
        await second.close()


async def test_prune_forgets_old_ids_only(db_url: str) -> None:
    store = await SqlStore.open(db_url)
    try:
        log = UpdateLog(store.driver, keep=timedelta(days=2))
        now = datetime(2026, 11, 30, 12, tzinfo=UTC)
        await log.claim(1, now - timedelta(days=3))
        await log.claim(2, now - timedelta(hours=1))
        assert await log.prune(now) == 1
        async with store.engine.connect() as conn:
            left = (await conn.execute(select(TelegramUpdateRow.update_id))).scalars().all()
        assert left == [2]
        assert await log.claim(1, now) is True  # long gone: Telegram cannot send it again
    finally:
        await store.close()


async def test_schema_revision_in_one_query(db_url: str) -> None:
    """What a start and /readyz ask, without Alembic: the revisions it knows are Alembic's."""
    scripts = ScriptDirectory(str(migrate.MIGRATIONS_DIR)).walk_revisions()
    assert tuple(reversed([s.revision for s in scripts])) == migrate.REVISIONS
    store = SqlStore(db_url)
    try:
        assert await store.schema_revision() is None
        await migrate.upgrade_async(db_url, "0001")
        assert await store.schema_revision() == "0001"
        assert migrate.behind("0001")
        await migrate.upgrade_async(db_url)
        assert await store.schema_revision() == migrate.HEAD_REVISION == "0004"
        async with store.engine.connect() as conn:
            count = select(func.count()).select_from(TelegramUpdateRow)
            assert (await conn.execute(count)).scalar_one() == 0
    finally:
        await store.close()


def test_claims_and_readiness_load_no_sqlalchemy(tmp_path: Path) -> None:
    """A webhook instance claims updates and answers /readyz without SQLAlchemy or Alembic."""
    url = default_sqlite_url(tmp_path / "bot.db")
    migrate.upgrade(url)
    code = (
        "import asyncio, sys\n"
        "from bot.telegram.health import Health\n"
        "from storage.store import SqlStore\n"
        "from storage.updates import UpdateLog\n"
        "async def ok(): return None\n"
        "async def main():\n"
        "    store, log = await SqlStore.open(sys.argv[1]), UpdateLog.open(sys.argv[1])\n"
        "    print(await log.claim(7), await log.claim(7))\n"
        "    print((await Health(store.schema_revision, [], ok).readiness()).ready)\n"
        "    await log.close(); await store.close()\n"
        "asyncio.run(main())\n"
    )
    assert _printed_and_loaded(code, url) == ["True False", "True", "[]"]


def test_a_start_checks_its_database_without_sqlalchemy(db_url: str) -> None:
    """What ``partnerbot run`` does before its first update (read the settings, check the
    database, open the store at the newest schema) loads neither SQLAlchemy nor Alembic: each
    would stay in the bot's memory for good (~30 MB)."""
    migrate.upgrade(db_url)
    code = (
        "import asyncio, sys\n"
        "from bot.cli import _check_database\n"
        "from bot.config import load_settings\n"
        "from storage.store import SqlStore\n"
        "settings = load_settings(None, {'PARTNERBOT_DATABASE_URL': sys.argv[1]})\n"
        "_check_database(settings.database_url)\n"
        "async def main():\n"
        "    store = await SqlStore.open(sys.argv[1])\n"
        "    print(await store.schema_revision()); await store.close()\n"
        "asyncio.run(main())\n"
    )
    assert _printed_and_loaded(code, db_url) == [migrate.HEAD_REVISION, "[]"]


def _printed_and_loaded(code: str, url: str) -> list[str]:
    """The lines ``code`` prints in a fresh process given ``url``, then which of SQLAlchemy
    and Alembic that process loaded."""
    code += "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'}))\n"
    done = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()
