"""``SqlStore``: the SQL implementation of ``flows.ports.PlanStore``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.model import ChatRef, DueReminder
from storage.db import split_url
from storage.member_cache import MemberCache
from storage.pg_driver import PgDriver
from storage.session import Driver, StoreSession, json_value, run_alone
from storage.sqlite_driver import SqliteDriver

# Members known to be stored, kept to skip their upsert. The members answering right now are
# what matters; 1,000 entries take ~0.3 MB (10,000 took ~3 MB, the benchmark's whole budget
# for memory growth per 10,000 plans), and a miss costs one upsert (~10 µs on SQLite, nothing
# extra on PostgreSQL, where it rides in the save statement).
MEMBER_CACHE_SIZE = 1_000


class SqlStore:
    """Plans of associations in SQLite or PostgreSQL, safe for concurrent writers.

    Any number of sessions, tasks, processes or bot instances may share one database: the
    version-checked UPDATE in ``save_plan`` lets exactly one writer of a plan version win.

    Sessions (the per-event path) and the administration run ``storage.session`` through a
    driver: the standard ``sqlite3`` module on the event loop's thread for an SQLite file
    (``storage.sqlite_driver``), asyncpg with its own pool for PostgreSQL
    (``storage.pg_driver``); each says why. SQLAlchemy is loaded only for ``engine`` (tests,
    counting rows) and for migrations.
    """

    def __init__(self, url: str, *, member_cache_size: int = MEMBER_CACHE_SIZE) -> None:
        self.url = url
        backend, target = split_url(url)
        if backend == "sqlite":
            Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._driver: SqliteDriver | PgDriver = SqliteDriver(target)
        else:
            self._driver = PgDriver(target)
        self._members = MemberCache(member_cache_size)
        self._engine: Any = None

    @property
    def driver(self) -> Driver:
        return self._driver

    @classmethod
    async def open(cls, url: str, migrate: bool = True, **options: Any) -> SqlStore:
        """A store on ``url``, migrated to the newest schema first unless ``migrate`` is False
        (or the schema is the newest already: one query tells).

        In-memory SQLite is refused: every connection would see a database of its own.
        """
        store = cls(url, **options)
        if migrate:
            from storage.migrate import HEAD_REVISION

            if await store.schema_revision() != HEAD_REVISION:
                from storage.migrate import upgrade_async

                await upgrade_async(url)
        return store

    async def schema_revision(self) -> str | None:
        """The schema revision the database has (Alembic's), None when it has none."""
        try:
            rows = await run_alone(self._driver, "schema_revision", {})
        except self._driver.missing_table:
            return None
        return str(rows[0][0]) if rows else None

    @property
    def engine(self) -> Any:
        """A SQLAlchemy ``AsyncEngine`` on the same database, made when first asked for."""
        if self._engine is None:
            from storage.db import make_engine

            self._engine = make_engine(self.url)
        return self._engine

    async def close(self) -> None:
        """Close the connections (the store may not be used afterwards)."""
        await self._driver.close()
        if self._engine is not None:
            await self._engine.dispose()

    @asynccontextmanager
    async def session(self, chat: ChatRef) -> AsyncIterator[StoreSession]:
        """One transaction for ``chat``: committed on normal exit, rolled back on an exception."""
        driver = self._driver
        conn = await driver.acquire()
        session = StoreSession(driver, conn, chat, self._members)
        try:
            try:
                yield session
            except BaseException:
                if session.writing:
                    await driver.end(conn, commit=False)
                raise
            if session.writing:
                await driver.end(conn, commit=True)
        finally:
            await driver.release(conn)
        self._members.add(session.new_members)  # committed: these rows exist now

    # -- the reminder sweep (issue 17): across chats, one short transaction each -------------

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Any]:
        driver = self._driver
        conn = await driver.acquire()
        try:
            await driver.begin(conn)
            try:
                yield conn
            except BaseException:
                await driver.end(conn, commit=False)
                raise
            await driver.end(conn, commit=True)
        finally:
            await driver.release(conn)

    async def claim_reminders(self, now: datetime, lease_until: datetime, batch: int) -> list[int]:
        """Claim up to ``batch`` reminders due at ``now`` (unsent, unleased or with a lease run
        out, of chats that want reminders) until ``lease_until``; their ids. The claim is one
        conditional UPDATE, committed before anything is sent: no two sweeps get one row."""
        async with self._transaction() as conn:
            rows = await self._driver.rows(
                conn,
                "claim_reminders",
                {"now": now, "lease_until": lease_until, "batch": batch},
            )
        return sorted(int(row[0]) for row in rows)

    async def due_reminder(self, reminder_id: int) -> DueReminder | None:
        """What a claimed reminder is about and where it goes (None once it is gone)."""
        driver = self._driver
        conn = await driver.acquire()
        try:
            rows = await driver.rows(conn, "reminder_details", {"id": reminder_id})
        finally:
            await driver.release(conn)
        if not rows:
            return None
        (rid, kind, task_key, due_at, plan_id, transport, chat_id, zone, lang, answers) = rows[0][
            :10
        ]
        claimed_by, claimed_by_id, due_on, done_by, private = rows[0][10:15]
        half_id, half_transport, half_chat_id, half_lang, to_partner, partner_task = rows[0][15:]
        half = None if half_id is None else ChatRef(half_transport, str(half_chat_id))
        if to_partner and half is not None:
            lang = half_lang  # the partner's chat reads it in its own language
        return DueReminder(
            id=int(rid),
            kind=kind,
            task_key=task_key,
            due_at=driver.unstamp(due_at) or datetime.min.replace(tzinfo=UTC),
            plan_id=int(plan_id),
            chat=ChatRef(transport, str(chat_id)),
            time_zone=zone,
            language=lang,
            success_measure=(json_value(answers) or {}).get("success_measure"),
            claimed_by=claimed_by,
            claimed_by_id=claimed_by_id,
            due_on=due_on,
            done=done_by is not None,
            private_chat=ChatRef(transport, str(claimed_by_id)) if private else None,
            partner_chat=half,
            partner_plan_id=None if half_id is None else int(half_id),
            to_partner=bool(to_partner) and half is not None,
            partner_task=bool(partner_task),
        )

    async def mark_sent(self, reminder_id: int, now: datetime) -> bool:
        """Record the reminder as sent; False when it was sent (or deleted) already."""
        async with self._transaction() as conn:
            rows = await self._driver.rows(conn, "mark_sent", {"id": reminder_id, "now": now})
        return bool(rows)

    async def stop_reminders(self, chat: ChatRef) -> None:
        """``chat`` gets no more reminders (the bot was blocked there, the chat is gone)."""
        params = {"chat_transport": chat.transport, "chat_id": chat.chat_id, "on": False}
        async with self._transaction() as conn:
            await self._driver.rows(conn, "set_reminders", params)

    # -- administration (group chats, privacy) ----------------------------------------------

    async def forget_association(self, chat: ChatRef) -> bool:
        """Delete the chat's association and everything under it. False when it had none."""
        async with self.session(chat) as session:
            gone = await session.forget()
        if gone is not None:
            self._members.drop_association(gone)
        return gone is not None

    async def move_association(self, chat: ChatRef, new_chat_id: str) -> bool:
        """Move the chat's association to ``new_chat_id`` (a group became a supergroup).

        Everything is kept (see ``StoreSession.move``). False when ``chat`` has no
        association (or ``new_chat_id`` is the same chat).
        """
        if new_chat_id == chat.chat_id:
            return False
        async with self.session(chat) as session:
            old_id = await session.move(new_chat_id)
        if old_id is not None:
            self._members.drop_association(old_id)
        return old_id is not None
