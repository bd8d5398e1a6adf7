"""The PostgreSQL driver of the per-event path: asyncpg, with asyncpg's own pool.

An answer is two round trips: the read (outside a transaction), then one statement that writes
everything (``save_all``: the version-checked UPDATE, the member row, the answers and, on the
task board, the tasks, written only from the row the UPDATE returned), which commits in its
own implicit transaction when it is the event's one write (``StoreSession.save_plan``). Events
that write more (a new plan, reminders after a due day moved) keep BEGIN and COMMIT: asyncpg
sends one statement at a time. asyncpg prepares each statement once per connection and then
only binds it. On release the pool only rolls back an open transaction; its default reset
(``RESET ALL``, ``UNLISTEN``, ...) would be one more round trip per event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from storage.compiled import POSTGRESQL
from storage.session import bind

MAX_CONNECTIONS = 15  # like SQLAlchemy's default pool (5 + 10 overflow)
CONNECT_TIMEOUT = 60.0


async def _no_reset(_conn: Any) -> None:
    """asyncpg already rolled back an open transaction; nothing else needs resetting."""


class PgDriver:
    """asyncpg connections to one database, for the store's sessions."""

    dialect = "postgresql"

    def __init__(self, dsn: str, *, max_connections: int = MAX_CONNECTIONS, **connect: Any) -> None:
        import asyncpg

        self.missing_table = asyncpg.UndefinedTableError
        self._dsn = dsn
        self._max = max_connections
        self._connect = connect  # more of asyncpg's connect() options (storage.updates)
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
                **self._connect,
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
        sql, args = bind(POSTGRESQL, name, params)
        self.round_trips += 1
        return await conn.fetch(sql, *args)

    async def run_many(self, conn: Any, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
        self.round_trips += 1
        await conn.executemany(
            POSTGRESQL[name][0], [bind(POSTGRESQL, name, row)[1] for row in rows]
        )

    # -- values: asyncpg takes and gives aware datetimes -------------------------------

    @staticmethod
    def unstamp(value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)
