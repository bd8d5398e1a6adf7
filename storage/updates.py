"""Which Telegram updates have been taken on, shared by every bot instance on one database.

Telegram delivers an update again when its webhook got no answer in time (a slow or stopped
instance, a proxy timeout), and a load balancer may hand the copy to another instance. An
answer typed in a private chat answers "the current question", so a second copy would be
taken as the answer to the *next* question. ``claim`` lets exactly one instance handle each
update id: an ``INSERT ... ON CONFLICT DO NOTHING`` on its primary key.

A claim is one statement in autocommit mode, one round trip. On PostgreSQL its connections
also skip waiting for the WAL flush (``synchronous_commit = off``): a claim lost in a server
crash only matters if Telegram redelivers that very update, and the wait would double the
claim's cost (``python -m bench.claim``). The plans' own writes keep full durability: they
go through the store, not through these connections.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import SQLITE_BEGIN, async_url, make_engine
from storage.models import TelegramUpdateRow, utcnow
from storage.session import upsert

# Telegram keeps undelivered updates for a day; older ids can no longer come again.
KEEP = timedelta(days=2)
PRUNE_EVERY = 1_000  # claims between two deletions of old rows
POOL_SIZE = 4  # connections for claims; each is held for one statement

_TABLE = cast(Table, TelegramUpdateRow.__table__)


class UpdateLog:
    """Claims update ids in the ``telegram_update`` table of ``url``'s database."""

    def __init__(self, engine: AsyncEngine, *, keep: timedelta = KEEP) -> None:
        self.engine = engine
        self.keep = keep
        self._claims = 0

    @classmethod
    def open(cls, url: str, *, keep: timedelta = KEEP) -> UpdateLog:
        """An update log with connections of its own (see the module's note on durability)."""
        options: dict[str, Any] = {}
        if async_url(url).get_backend_name() == "postgresql":
            options = {
                "pool_size": POOL_SIZE,
                "connect_args": {"server_settings": {"synchronous_commit": "off"}},
            }
        return cls(make_engine(url, **options), keep=keep)

    async def close(self) -> None:
        await self.engine.dispose()

    async def claim(self, update_id: int, now: datetime | None = None) -> bool:
        """True for the first claim of ``update_id`` on this database, False for a copy."""
        now = now or utcnow()
        async with self.engine.connect() as conn:
            conn = await _autocommit(conn)
            stmt = (
                upsert(conn, _TABLE)
                .values(update_id=update_id, received_at=now)
                .on_conflict_do_nothing(index_elements=["update_id"])
                .returning(_TABLE.c.update_id)
            )
            claimed = (await conn.execute(stmt)).first() is not None
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.prune(now)
        return claimed

    async def prune(self, now: datetime | None = None) -> int:
        """Delete the ids claimed more than ``keep`` ago; returns how many went."""
        before = (now or utcnow()) - self.keep
        async with self.engine.connect() as conn:
            conn = await _autocommit(conn)
            result = await conn.execute(delete(_TABLE).where(_TABLE.c.received_at < before))
        return int(result.rowcount or 0)


async def _autocommit(conn: AsyncConnection) -> AsyncConnection:
    """Each statement commits by itself: no BEGIN and COMMIT round trips."""
    if conn.dialect.name == "sqlite":
        # storage.db's "lazy" mode: no BEGIN, so the sqlite3 connection autocommits.
        return await conn.execution_options(**{SQLITE_BEGIN: "lazy"})
    return await conn.execution_options(isolation_level="AUTOCOMMIT")
