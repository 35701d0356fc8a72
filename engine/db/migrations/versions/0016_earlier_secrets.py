"""Subscriptions: the secrets rotated out before the previous one, each signing until it retires.

A second rotation within an overlap made the middle secret the previous one and dropped the first at
once, though its overlap had promised hours more: a receiver still on it (an integrator whose first
rotation's answer was lost, and who rotated again to get a secret) failed every delivery. Added only
when missing, as 0014 does.

Revision ID: 0016_earlier_secrets
Revises: 0015_inbound_seen_sender
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_earlier_secrets"
down_revision = "0015_inbound_seen_sender"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not any(c["name"] == "earlier_secrets" for c in inspector.get_columns("subscriptions")):
        op.add_column(
            "subscriptions",
            sa.Column(
                "earlier_secrets",
                sa.JSON(),
                nullable=True,
                comment="Secrets rotated out before the previous one: [[secret, retires_at], ...].",
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("earlier_secrets")
