"""The update log: each Telegram update id is taken on once per database, by any instance."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import migrate
from storage.db import make_engine
from storage.models import TelegramUpdateRow
from storage.store import SqlStore
from storage.updates import UpdateLog


async def test_first_claim_wins_on_every_instance(db_url: str) -> None:
    first = await SqlStore.open(db_url)
    second = await SqlStore.open(db_url, migrate=False)
    try:
        one, two = UpdateLog(first.engine), UpdateLog(second.engine)
        assert await one.claim(1001) is True
        assert await two.claim(1001) is False  # the copy reached the other instance
        assert await one.claim(1001) is False
        # Many instances racing for the same ids: each id is won exactly once.
        ids = range(2000, 2040)
        results = await asyncio.gather(
            *(log.claim(i) for i in ids for log in (one, two, UpdateLog(first.engine)))
        )
        assert sum(results) == len(ids)
    finally:
        await first.close()
        await second.close()


async def test_prune_forgets_old_ids_only(db_url: str) -> None:
    store = await SqlStore.open(db_url)
    try:
        log = UpdateLog(store.engine, keep=timedelta(days=2))
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


async def test_current_revision(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade_async(db_url, "0001")
        assert await migrate.current_revision(engine) == "0001"
        await migrate.upgrade_async(db_url)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as conn:
            count = select(func.count()).select_from(TelegramUpdateRow)
            assert (await conn.execute(count)).scalar_one() == 0
    finally:
        await engine.dispose()
