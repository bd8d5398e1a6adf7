"""Rows per table, through the SQLAlchemy engine (tests and checks, not the per-event path)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.model import ChatRef
from storage.db import SQLITE_BEGIN
from storage.models import (
    ALL_TABLES,
    AnswerRow,
    AssociationRow,
    Base,
    ChecklistItemRow,
    MemberRow,
    PartnerInviteRow,
    PlanRow,
    TaskRow,
)

_PLAN_CHILDREN: dict[str, type[AnswerRow | TaskRow | ChecklistItemRow | PartnerInviteRow]] = {
    "answer": AnswerRow,
    "task": TaskRow,
    "checklist_item": ChecklistItemRow,
    "partner_invite": PartnerInviteRow,
}


async def count_rows(engine: AsyncEngine, chat: ChatRef | None = None) -> dict[str, int]:
    """Rows per table, of the whole database or of one chat's association."""
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # reads only: no need for the write lock
            await conn.execution_options(**{SQLITE_BEGIN: "lazy"})
        if chat is None:
            tables = {t.name: t for t in Base.metadata.sorted_tables}
            return {
                name: (
                    await conn.execute(select(func.count()).select_from(tables[name]))
                ).scalar_one()
                for name in ALL_TABLES
            }
        association_id = (
            await conn.execute(
                select(AssociationRow.id).where(
                    AssociationRow.transport == chat.transport,
                    AssociationRow.external_id == chat.chat_id,
                )
            )
        ).scalar_one_or_none()
        plan_ids = select(PlanRow.id).where(PlanRow.association_id == association_id)
        counts: dict[str, int] = {}
        for name, row in _PLAN_CHILDREN.items():
            counts[name] = await _count(conn, row, row.plan_id.in_(plan_ids))
        counts["plan"] = await _count(conn, PlanRow, PlanRow.association_id == association_id)
        counts["member"] = await _count(conn, MemberRow, MemberRow.association_id == association_id)
        counts["association"] = int(association_id is not None)
        return counts


async def _count(conn: AsyncConnection, row: type[Base], where: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(row).where(where)
    return (await conn.execute(stmt)).scalar_one()
