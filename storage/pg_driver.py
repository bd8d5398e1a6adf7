"""The PostgreSQL driver of the per-event path: asyncpg, with asyncpg's own pool.

Why not SQLAlchemy here: one event through SQLAlchemy async (BEGIN, SELECT, UPDATE, INSERT,
COMMIT, each through SQLAlchemy's execution machinery and a greenlet switch) took 1.7-3 ms on
the machine of ``bench/README.md``; asyncpg alone needs ~0.2 ms per round trip.

Round trips of one answer: the read (outside a transaction), BEGIN, one statement that writes
everything (``save_all``: the version-checked UPDATE, the member row and the answers, as
data-modifying CTEs that write only from the row the UPDATE returned) and COMMIT. asyncpg
prepares each statement once per connection (its statement cache) and binds it afterwards.
The BEGIN and the COMMIT stay: asyncpg sends one statement at a time, and a save running as
its own transaction could not be rolled back when the event fails after it.

The pool resets a connection on release only when it is still in a transaction (ROLLBACK);
the default reset (``RESET ALL``, ``UNLISTEN``, ...) would be one more round trip per event
for session state this code never sets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from storage.compiled import POSTGRESQL

MAX_CONNECTIONS = 15  # like SQLAlchemy's default pool (5 + 10 overflow)
CONNECT_TIMEOUT = 60.0


async def _no_reset(_conn: Any) -> None:
    """asyncpg already rolled back an open transaction; nothing else needs resetting."""


def _args(name: str, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    sql, names, fixed = POSTGRESQL[name]
    if fixed:
        params = {**fixed, **params}
    return sql, [params[n] for n in names]


class PgDriver:
    """asyncpg connections to one database, for the store's sessions."""

    dialect = "postgresql"

    def __init__(self, dsn: str, *, max_connections: int = MAX_CONNECTIONS) -> None:
        import asyncpg

        self.missing_table = asyncpg.UndefinedTableError
        self._dsn = dsn
        self._max = max_connections
        self._pool: Any = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self.round_trips = 0  # messages that waited for the server's answer

    async def _the_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool_loop is not loop:
            # Connections belong to the loop that opened them: start afresh on a new one.
            if self._pool is not None:
                self._pool.terminate()
            import asyncpg

            self._pool_loop = loop
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=0,
                max_size=self._max,
                reset=_no_reset,
                timeout=CONNECT_TIMEOUT,
            )
        return self._pool

    async def acquire(self) -> Any:
        if self._closed:
            raise RuntimeError("the store is closed")
        return await (await self._the_pool()).acquire()

    async def release(self, conn: Any) -> None:
        await self._pool.release(conn)

    async def close(self) -> None:
        self._closed = True
        if self._pool is not None and self._pool_loop is asyncio.get_running_loop():
            try:
                await asyncio.wait_for(self._pool.close(), 5)
            except Exception:
                self._pool.terminate()
        elif self._pool is not None:
            self._pool.terminate()

    # -- transactions and statements ----------------------------------------------------

    async def begin(self, conn: Any) -> None:
        self.round_trips += 1
        await conn.execute("BEGIN")

    async def end(self, conn: Any, *, commit: bool) -> None:
        self.round_trips += 1
        await conn.execute("COMMIT" if commit else "ROLLBACK")

    async def rows(self, conn: Any, name: str, params: Mapping[str, Any]) -> list[Any]:
        sql, args = _args(name, params)
        self.round_trips += 1
        return await conn.fetch(sql, *args)

    async def run(self, conn: Any, name: str, params: Mapping[str, Any]) -> None:
        sql, args = _args(name, params)
        self.round_trips += 1
        await conn.execute(sql, *args)

    async def run_many(self, conn: Any, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
        sql, names, _fixed = POSTGRESQL[name]
        self.round_trips += 1
        await conn.executemany(sql, [[row[n] for n in names] for row in rows])

    # -- values: asyncpg takes and gives aware datetimes -------------------------------

    @staticmethod
    def stamp(at: datetime | None) -> datetime | None:
        return at

    @staticmethod
    def unstamp(value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)
