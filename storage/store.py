"""``SqlStore``: the SQL implementation of ``flows.ports.PlanStore``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.model import ChatRef
from storage.db import SQLITE_BEGIN, async_url, is_sqlite_file, is_sqlite_memory, make_engine
from storage.member_cache import MemberCache
from storage.migrate import upgrade_async
from storage.models import (
    ALL_TABLES,
    CLOSED,
    OPEN,
    AnswerRow,
    AssociationRow,
    Base,
    ChecklistItemRow,
    MemberRow,
    PartnerInviteRow,
    PlanRow,
    TaskRow,
    utcnow,
)
from storage.postgres_direct import PgDriver, PgSession
from storage.session import SqlPlanSession, chat_filter, upsert
from storage.sqlite_direct import SqliteDriver, SqliteSession

# Members known to be stored, kept to skip their upsert. The members answering right now are
# what matters; 1,000 entries take ~0.3 MB (10,000 took ~3 MB, the benchmark's whole budget
# for memory growth per 10,000 plans), and a miss costs one upsert (~10 µs on SQLite, nothing
# extra on PostgreSQL, where it rides in the save statement).
MEMBER_CACHE_SIZE = 1_000

_PLAN_CHILDREN: dict[str, type[AnswerRow | TaskRow | ChecklistItemRow | PartnerInviteRow]] = {
    "answer": AnswerRow,
    "task": TaskRow,
    "checklist_item": ChecklistItemRow,
    "partner_invite": PartnerInviteRow,
}


class SqlStore:
    """Plans of associations in SQLite or PostgreSQL, safe for concurrent writers.

    Any number of sessions, tasks, processes or bot instances may share one database: the
    version-checked UPDATE in ``save_plan`` lets exactly one writer of a plan version win.

    The sessions (the per-event path) talk to the database through its own driver, not
    through the engine: the standard ``sqlite3`` module on the event loop's thread for an
    SQLite file (``storage.sqlite_direct``), asyncpg for PostgreSQL
    (``storage.postgres_direct``); each module says why. With ``direct=False``, or a URL with
    query options, they go through the engine (``storage.session``). ``engine`` serves
    migrations, administration and tests either way.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        member_cache_size: int = MEMBER_CACHE_SIZE,
        direct: bool = True,
    ) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._members = MemberCache(member_cache_size)
        url = engine.url
        self._direct: SqliteDriver | PgDriver | None = None
        if direct and not url.query:
            if self._sqlite and is_sqlite_file(url):
                self._direct = SqliteDriver(url.database or "")
            elif engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
                self._direct = PgDriver(url)

    @classmethod
    async def open(
        cls,
        url: str,
        migrate: bool = True,
        *,
        direct: bool = True,
        **engine_kwargs: Any,
    ) -> SqlStore:
        """A store on ``url``, migrated to the newest schema first unless ``migrate`` is False.

        In-memory SQLite is refused: every pooled connection (and the migration's own) would
        see a database of its own, and concurrent sessions need separate connections.
        """
        parsed = async_url(url)
        if parsed.get_backend_name() == "sqlite" and is_sqlite_memory(parsed):
            raise ValueError("SqlStore needs an SQLite file or a server, not an in-memory SQLite")
        if migrate:
            await upgrade_async(url)
        return cls(make_engine(url, **engine_kwargs), direct=direct)

    async def close(self) -> None:
        """Close the engine's connections (the store may not be used afterwards)."""
        if self._direct is not None:
            await self._direct.close()
        await self.engine.dispose()

    @asynccontextmanager
    async def session(
        self, chat: ChatRef
    ) -> AsyncIterator[SqlPlanSession | SqliteSession | PgSession]:
        """One transaction for ``chat``: committed on normal exit, rolled back on an exception."""
        if self._direct is not None:
            async with self._direct.session(chat, self._members) as direct:
                yield direct
            return
        async with self.engine.connect() as conn:
            if self._sqlite:
                await conn.execution_options(**{SQLITE_BEGIN: "lazy"})
            async with conn.begin():
                session = SqlPlanSession(conn, chat, self._members, begin_before_write=self._sqlite)
                yield session
            # Committed: from now on the members' rows are known to exist.
            self._members.add(session.new_members)

    # -- administration (group chats, privacy) ----------------------------------------------

    async def forget_association(self, chat: ChatRef) -> bool:
        """Delete the chat's association and everything under it. False when it had none."""
        async with self.engine.begin() as conn:
            association_id = await _association_id(conn, chat)
            if association_id is None:
                return False
            # Members, plans and the plans' rows go with it (ON DELETE CASCADE).
            await conn.execute(delete(AssociationRow).where(AssociationRow.id == association_id))
        self._members.drop_association(association_id)
        return True

    async def move_association(self, chat: ChatRef, new_chat_id: str) -> bool:
        """Move the chat's association to ``new_chat_id`` (a group became a supergroup).

        Everything is kept. When the new chat already has an association of its own (a message
        reached the supergroup first), the old one is folded into it: plans and members move,
        the newest plan stays current and the others are closed. False when ``chat`` has no
        association (or ``new_chat_id`` is the same chat).
        """
        if new_chat_id == chat.chat_id:
            return False
        target_chat = ChatRef(chat.transport, new_chat_id, chat.kind, chat.title)
        async with self.engine.begin() as conn:
            old_id = await _association_id(conn, chat)
            if old_id is None:
                return False
            new_id = await _association_id(conn, target_chat)
            if new_id is None:
                await conn.execute(
                    update(AssociationRow)
                    .where(AssociationRow.id == old_id)
                    .values(external_id=new_chat_id)
                )
                return True
            await _merge_associations(conn, old_id, new_id)
        self._members.drop_association(old_id)
        return True

    async def count_rows(self, chat: ChatRef | None = None) -> dict[str, int]:
        """Rows per table, of the whole database or of one chat's association (for tests)."""
        async with self.engine.connect() as conn:
            if self._sqlite:  # reads only: no need for the write lock
                await conn.execution_options(**{SQLITE_BEGIN: "lazy"})
            if chat is None:
                tables = {t.name: t for t in Base.metadata.sorted_tables}
                return {
                    name: (
                        await conn.execute(select(func.count()).select_from(tables[name]))
                    ).scalar_one()
                    for name in ALL_TABLES
                }
            association_id = await _association_id(conn, chat)
            plan_ids = select(PlanRow.id).where(PlanRow.association_id == association_id)
            counts: dict[str, int] = {}
            for name, row in _PLAN_CHILDREN.items():
                counts[name] = await _count(conn, row, row.plan_id.in_(plan_ids))
            counts["plan"] = await _count(conn, PlanRow, PlanRow.association_id == association_id)
            counts["member"] = await _count(
                conn, MemberRow, MemberRow.association_id == association_id
            )
            counts["association"] = int(association_id is not None)
            return counts


async def _association_id(conn: AsyncConnection, chat: ChatRef) -> int | None:
    stmt = select(AssociationRow.id).where(*chat_filter(chat))
    return (await conn.execute(stmt)).scalar_one_or_none()


async def _count(conn: AsyncConnection, row: type[Base], where: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(row).where(where)
    return (await conn.execute(stmt)).scalar_one()


async def _merge_associations(conn: AsyncConnection, old_id: int, new_id: int) -> None:
    """Fold association ``old_id`` into ``new_id``: members and plans move, then it goes."""
    members = upsert(conn, cast(Table, MemberRow.__table__))
    await conn.execute(
        members.from_select(
            ["association_id", "external_id", "name"],
            select(literal(new_id), MemberRow.external_id, MemberRow.name).where(
                MemberRow.association_id == old_id
            ),
        ).on_conflict_do_nothing(index_elements=["association_id", "external_id"])
    )
    await conn.execute(
        update(PlanRow).where(PlanRow.association_id == old_id).values(association_id=new_id)
    )
    newest = select(func.max(PlanRow.id)).where(PlanRow.association_id == new_id)
    await conn.execute(
        update(PlanRow)
        .where(
            PlanRow.association_id == new_id,
            PlanRow.status == OPEN,
            PlanRow.id < newest.scalar_subquery(),
        )
        .values(status=CLOSED, version=PlanRow.version + 1, updated_at=utcnow())
    )
    await conn.execute(delete(AssociationRow).where(AssociationRow.id == old_id))
