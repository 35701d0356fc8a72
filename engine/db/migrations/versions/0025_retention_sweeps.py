"""Retention kept by the service: how long each tenant keeps closed conversations, and its sweeps.

Retention ran only from an operator's cron (`convoflow retention sweep --keep-days N`), with the
keep time an argument nobody could read back: a tenant could not say how long it keeps conversations,
and nothing showed when a sweep last ran or that it failed.

Revision ID: 0025_retention_sweeps
Revises: 0024_erasure_details
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_retention_sweeps"
down_revision = "0024_erasure_details"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_sweeps",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "keep_days",
            sa.Integer(),
            nullable=True,
            comment="Days a closed conversation is kept after its last activity; NULL: kept for ever.",
        ),
        sa.Column(
            "next_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="When the next sweep is due (a claim moves it on).",
        ),
        sa.Column("last_began_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "last_result",
            sa.JSON(),
            nullable=True,
            comment="The last sweep's counts, erasure id or failure (no conversation content).",
        ),
        sa.PrimaryKeyConstraint("tenant", name="pk_retention_sweeps"),
        if_not_exists=True,  # SQLite commits each statement: an interrupted upgrade runs again
    )
    op.create_index("ix_retention_sweeps_next_at", "retention_sweeps", ["next_at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_retention_sweeps_next_at", table_name="retention_sweeps")
    op.drop_table("retention_sweeps")
