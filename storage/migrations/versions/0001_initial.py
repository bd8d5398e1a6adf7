"""Initial schema: associations, members, plans, answer history, tasks, checklists, invites.

Written out by hand (not imported from storage.models) so that it keeps meaning the same
schema when the models move on.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _ticked() -> tuple[sa.Column[Any], ...]:
    return (
        sa.Column("done_by", sa.Text(), nullable=True),
        sa.Column("done_at", _TS, nullable=True),
    )


def _plan_child(table: str, *columns: sa.Column[Any] | sa.Constraint) -> None:
    """A table of rows that belong to a plan (and go with it)."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        _fk(table, "plan"),
    )


def _fk(table: str, parent: str) -> sa.ForeignKeyConstraint:
    """``table``'s ``<parent>_id`` refers to ``parent``; deleting the parent deletes the row."""
    column = f"{parent}_id"
    return sa.ForeignKeyConstraint(
        [column], [f"{parent}.id"], name=f"fk_{table}_{column}_{parent}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "association",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_association"),
        sa.UniqueConstraint(
            "transport", "external_id", name="uq_association_transport_external_id"
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_member"),
        _fk("member", "association"),
        sa.UniqueConstraint(
            "association_id", "external_id", name="uq_member_association_id_external_id"
        ),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plan"),
        _fk("plan", "association"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_plan_association_id_id", "plan", ["association_id", "id"])
    _plan_child(
        "answer",
        sa.Column("question", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("member_external_id", sa.String(128), nullable=False),
        sa.Column("member_name", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_answer_plan_id_question_id", "answer", ["plan_id", "question", "id"])
    _plan_child(
        "task",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("resource", sa.String(64), nullable=True),
        sa.Column("claimed_by", sa.Text(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        *_ticked(),
    )
    op.create_index("ix_task_plan_id", "task", ["plan_id"])
    _plan_child(
        "checklist_item",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("custom", sa.Boolean(), nullable=False),
        *_ticked(),
        sa.UniqueConstraint("plan_id", "key", name="uq_checklist_item_plan_id_key"),
    )
    _plan_child(
        "partner_invite",
        sa.Column("token_hash", sa.String(128), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_partner_invite_token_hash"),
    )
    op.create_index("ix_partner_invite_plan_id", "partner_invite", ["plan_id"])


def downgrade() -> None:
    # Children before parents (foreign keys); dropping a table drops its indexes.
    for table in (
        "partner_invite",
        "checklist_item",
        "task",
        "answer",
        "plan",
        "member",
        "association",
    ):
        op.drop_table(table)
