"""A subscription can be paused: its events queue and wait, delivered in order once it resumes.

An integrator taking its receiver down for maintenance could only let every event fail its way to
`failing` and redeliver afterwards, or delete the subscription (a new secret, sequences from 1).

Revision ID: 0026_subscription_pause
Revises: 0025_retention_sweeps
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_subscription_pause"
down_revision = "0025_retention_sweeps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column(
            "paused_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Paused since (its events queue, none is sent); NULL: delivering.",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("paused_at")
