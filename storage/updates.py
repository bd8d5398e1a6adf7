"""Which Telegram updates have been taken on, shared by every bot instance on one database.

Telegram delivers an update again when its webhook got no answer in time (a slow or stopped
instance, a proxy timeout), and a load balancer may hand the copy to another instance. An
answer typed in a private chat answers "the current question", so a second copy would be
taken as the answer to the *next* question. ``claim`` lets exactly one instance handle each
update id: an ``INSERT ... ON CONFLICT DO NOTHING`` on its primary key, one round trip.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import TelegramUpdateRow, utcnow
from storage.session import upsert

# Telegram keeps undelivered updates for a day; older ids can no longer come again.
KEEP = timedelta(days=2)
PRUNE_EVERY = 1_000  # claims between two deletions of old rows

_TABLE = cast(Table, TelegramUpdateRow.__table__)


class UpdateLog:
    """Claims update ids in the ``telegram_update`` table of ``engine``'s database."""

    def __init__(self, engine: AsyncEngine, *, keep: timedelta = KEEP) -> None:
        self.engine = engine
        self.keep = keep
        self._claims = 0

    async def claim(self, update_id: int, now: datetime | None = None) -> bool:
        """True for the first claim of ``update_id`` on this database, False for a copy."""
        now = now or utcnow()
        async with self.engine.begin() as conn:
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
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(_TABLE).where(_TABLE.c.received_at < before))
        return int(result.rowcount or 0)
