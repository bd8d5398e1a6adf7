"""Which Telegram updates have been taken on, shared by every bot instance on one database.

Telegram delivers an update again when its webhook got no answer in time, and a load balancer
may hand the copy to another instance; a typed answer would then answer the *next* question.
``claim`` lets one instance handle each update id: ``claim_update`` (``storage.statements``),
an ``INSERT ... ON CONFLICT DO NOTHING`` on ``telegram_update``'s primary key, run alone
(autocommitted, one round trip) through the store's drivers, on a driver of its own. On
PostgreSQL its few connections skip waiting for the WAL flush (``synchronous_commit = off``):
a claim lost in a server crash matters only if Telegram redelivers that very update, and the
wait would double the claim's cost (``python -m bench.claim``). Plans keep full durability:
they are written through the store's driver, not this one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import split_url
from storage.pg_driver import PgDriver
from storage.session import run_alone
from storage.sqlite_driver import SqliteDriver

KEEP = timedelta(days=2)  # Telegram keeps undelivered updates for a day; then ids can go
PRUNE_EVERY = 1_000  # claims between two deletions of old rows
POOL_SIZE = 4  # PostgreSQL connections for claims; each is held for one statement


class UpdateLog:
    """Claims update ids in the ``telegram_update`` table of a driver's database."""

    def __init__(self, driver: SqliteDriver | PgDriver, *, keep: timedelta = KEEP) -> None:
        self.driver = driver
        self.keep = keep
        self._claims = 0

    @classmethod
    def open(cls, url: str, *, keep: timedelta = KEEP) -> UpdateLog:
        """An update log with connections of its own (see the module's note on durability)."""
        backend, target = split_url(url)
        if backend == "sqlite":
            return cls(SqliteDriver(target), keep=keep)
        off = {"synchronous_commit": "off"}
        return cls(PgDriver(target, max_connections=POOL_SIZE, server_settings=off), keep=keep)

    async def close(self) -> None:
        await self.driver.close()

    async def claim(self, update_id: int, now: datetime | None = None) -> bool:
        """True for the first claim of ``update_id`` on this database, False for a copy."""
        now = now or datetime.now(UTC)
        params = {"update_id": update_id, "now": now}
        claimed = bool(await run_alone(self.driver, "claim_update", params))
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.prune(now)
        return claimed

    async def prune(self, now: datetime | None = None) -> int:
        """Delete the ids claimed more than ``keep`` ago; returns how many went."""
        before = (now or datetime.now(UTC)) - self.keep
        return len(await run_alone(self.driver, "prune_updates", {"before": before}))
