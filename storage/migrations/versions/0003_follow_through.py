"""Follow-through (issue 17): due dates and claimers' ids on tasks, the association's reminder
settings, reminder rows and review answers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _create_plan_rows(table: str, *columns: sa.Column, unique: tuple[str, ...] = ()) -> None:
    """A table of rows belonging to a plan: an id, the plan's id (deleted with the plan)."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=f"fk_{table}_plan_id_plan", ondelete="CASCADE"
        ),
        *([sa.UniqueConstraint(*unique, name=f"uq_{table}_{'_'.join(unique)}")] if unique else []),
    )


def upgrade() -> None:
    # batch: SQLite cannot add columns with constraints in place on every version.
    with op.batch_alter_table("association") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(64), server_default="Europe/Helsinki", nullable=False)
        )
        batch.add_column(
            sa.Column("remind_hour", sa.Integer(), server_default="10", nullable=False)
        )
        batch.add_column(
            sa.Column("reminders", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("claimed_by_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("due_on", sa.String(10), nullable=True))
    _create_plan_rows(
        "reminder",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("task_key", sa.String(64), nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("lease_until", _TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        unique=("plan_id", "kind", "task_key", "due_at"),
    )
    op.create_index("ix_reminder_sent_at_due_at", "reminder", ["sent_at", "due_at"])
    _create_plan_rows(
        "review_answer",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("question", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("member_name", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_review_answer_plan_id", "review_answer", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_review_answer_plan_id", "review_answer")
    op.drop_table("review_answer")
    op.drop_index("ix_reminder_sent_at_due_at", "reminder")
    op.drop_table("reminder")
    with op.batch_alter_table("task") as batch:
        batch.drop_column("due_on")
        batch.drop_column("claimed_by_id")
    with op.batch_alter_table("association") as batch:
        batch.drop_column("reminders")
        batch.drop_column("remind_hour")
        batch.drop_column("time_zone")
