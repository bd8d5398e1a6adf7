"""Two-sided plans: an invite can be revoked, and once used it links the partner's half.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table (the table is copied);
    # on PostgreSQL it is plain ALTER TABLE.
    with op.batch_alter_table("partner_invite") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("partner_plan_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_partner_invite_partner_plan_id_plan",
            "plan",
            ["partner_plan_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_partner_invite_partner_plan_id", ["partner_plan_id"])


def downgrade() -> None:
    with op.batch_alter_table("partner_invite") as batch:
        batch.drop_index("ix_partner_invite_partner_plan_id")
        batch.drop_constraint("fk_partner_invite_partner_plan_id_plan", type_="foreignkey")
        batch.drop_column("partner_plan_id")
        batch.drop_column("revoked_at")
