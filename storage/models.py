"""SQLAlchemy tables of Partnerbot.

The domain never sees these rows: ``storage.session`` maps them to ``flows.model`` values,
running the statements ``storage.statements`` defines from these tables.
The initial migration (``migrations/versions/0001_initial.py``) spells the same schema out by
hand; ``tests/storage/test_sql_migrations.py`` checks that the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Plan statuses. flows.model has OPEN and DONE; a plan replaced by a newer one is CLOSED.
OPEN = "open"
DONE = "done"
CLOSED = "closed"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the value is stored as
    naive UTC and tagged as UTC again when read. Naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AssociationRow(Base):
    """One association: one Telegram chat or one console profile."""

    __tablename__ = "association"
    __table_args__ = (
        UniqueConstraint("transport", "external_id"),
        # Ids are never reused on SQLite either (AUTOINCREMENT): the member cache is keyed by
        # association id, and a reused id would make a deleted association's entries look valid.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transport: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Follow-through (issue 17): where reminders fall in the day, and whether the chat wants
    # them. Server defaults: the insert statement names only the columns above.
    time_zone: Mapped[str] = mapped_column(String(64), server_default="Europe/Helsinki")
    remind_hour: Mapped[int] = mapped_column(Integer, server_default="10")
    reminders: Mapped[bool] = mapped_column(Boolean, server_default=true())


class MemberRow(Base):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("association_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(Text, default="")


class PlanRow(Base):
    __tablename__ = "plan"
    __table_args__ = (
        # current_plan: the association's newest plan is one index probe.
        Index(None, "association_id", "id"),
        # Plan ids travel in callback data: never reuse one, not even after a deletion.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    state: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str] = mapped_column(String(16), default="en")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnswerRow(Base):
    """Answer history: one row per accepted answer, never updated."""

    __tablename__ = "answer"
    __table_args__ = (Index(None, "plan_id", "question", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(64))
    # SQL NULL (not JSON 'null') for a skipped or cleared answer.
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    member_external_id: Mapped[str] = mapped_column(String(128))
    member_name: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class _Ticked:
    """Who ticked the row off, by display name as the domain records it, and when."""

    done_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TaskRow(_Ticked, Base):
    """A task of the plan's split; rows are replaced as a whole, in order (by id)."""

    __tablename__ = "task"
    __table_args__ = (Index(None, "plan_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Members' display names, as the domain records them (names can be long: Text).
    claimed_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    # The claimer's user id (a private reminder goes there) and the due day, ISO "2026-12-24".
    claimed_by_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    due_on: Mapped[str | None] = mapped_column(String(10), nullable=True)


class ChecklistItemRow(_Ticked, Base):
    """A stored checklist item: a built-in step (label NULL) or a member's own item."""

    __tablename__ = "checklist_item"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(Text, nullable=True)
    custom: Mapped[bool] = mapped_column(Boolean, default=False)


class PartnerInviteRow(Base):
    """An invite to a plan's partner, and once used, the link between the plan's two halves.

    Only the code's SHA-256 is stored. ``plan_id`` is the inviting side's plan;
    ``partner_plan_id`` the partner's half once someone joined (NULL again when the partner
    forgot its data: ``used_at`` then tells that the partner left). Revision 0003.
    """

    __tablename__ = "partner_invite"
    __table_args__ = (Index(None, "plan_id"), Index(None, "partner_plan_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    partner_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan.id", ondelete="SET NULL"), nullable=True
    )


class TelegramUpdateRow(Base):
    """A Telegram update some bot instance has taken on (``storage.updates`` says why)."""

    __tablename__ = "telegram_update"
    __table_args__ = (Index(None, "received_at"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderRow(Base):
    """One message the sweep owes a chat at ``due_at`` (a task reminder or a review).

    ``lease_until`` is set when an instance claims the row; ``sent_at`` when it was sent. A
    claim whose lease ran out without ``sent_at`` is claimed again (at-least-once).
    """

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("plan_id", "kind", "task_key", "due_at"),
        # The sweep's probe: unsent rows by time.
        Index(None, "sent_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # before | due | review | midterm
    task_key: Mapped[str] = mapped_column(String(64), default="")  # "" for a review
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReviewAnswerRow(Base):
    """One answer to a review question (issue 17), never updated."""

    __tablename__ = "review_answer"
    __table_args__ = (Index(None, "plan_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # review | midterm
    question: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    member_name: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Children first: the order in which rows are counted, and tables dropped.
ALL_TABLES = (
    "reminder",
    "review_answer",
    "answer",
    "task",
    "checklist_item",
    "partner_invite",
    "plan",
    "member",
    "association",
)
# Tables that hold no association's data (and are not counted as such).
SERVICE_TABLES = ("telegram_update",)
