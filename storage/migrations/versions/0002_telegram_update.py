"""Telegram updates taken on, so that a redelivered update is handled by one instance only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name="pk_telegram_update"),
    )
    op.create_index(
        "ix_telegram_update_received_at", "telegram_update", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_telegram_update_received_at", table_name="telegram_update")
    op.drop_table("telegram_update")
