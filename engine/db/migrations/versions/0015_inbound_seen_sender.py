"""Inbound mail: a key of its sender (never the address), so a mail loop is seen by its rate.

A vendor's ticket system that answers our acknowledgement with a new ticket, which we acknowledge,
loops without a header saying so; the intake counts a sender's mails of the last hour and quarantines
past `CONVOFLOW_MAIL_SENDER_LIMIT_PER_HOUR` (engine/api/email_intake.py). The key is a digest of the
tenant and the address: the table keeps no address. Added only when missing, as 0014 does.

Revision ID: 0015_inbound_seen_sender
Revises: 0014_inbound_seen_conversation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_inbound_seen_sender"
down_revision = "0014_inbound_seen_conversation"
branch_labels = None
depends_on = None

INDEX = "ix_inbound_seen_tenant_sender"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not any(c["name"] == "sender_key" for c in inspector.get_columns("inbound_seen")):
        op.add_column(
            "inbound_seen",
            sa.Column(
                "sender_key",
                sa.String(length=64),
                nullable=True,
                comment="A digest of the tenant and the sender's address (mail only).",
            ),
        )
    if not any(i["name"] == INDEX for i in inspector.get_indexes("inbound_seen")):
        op.create_index(INDEX, "inbound_seen", ["tenant", "sender_key", "seen_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="inbound_seen")
    with op.batch_alter_table("inbound_seen") as batch:
        batch.drop_column("sender_key")
