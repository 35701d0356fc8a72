"""Mail quarantine (issue 20): inbound mail that could not become a conversation, per tenant.

The raw mail is personal data: it is kept sealed (AES-GCM under the tenant's payload key, as Temporal
payloads are) and deleted after a retention (`expires_at`, CONVOFLOW_QUARANTINE_DAYS).

Revision ID: 0012_mail_quarantine
Revises: 0011_subscriptions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_mail_quarantine"
down_revision = "0011_subscriptions"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mail_quarantine",
        sa.Column("quarantine_id", sa.String(length=32), nullable=False, comment="Public id: q_<hex>."),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "message_id",
            sa.String(length=256),
            nullable=False,
            comment="The mail's (or its derived) Message-ID.",
        ),
        sa.Column(
            "reason",
            sa.String(length=32),
            nullable=False,
            comment="no_sender, loop, blocked_sender, spam, unparseable.",
        ),
        sa.Column(
            "detail",
            sa.String(length=500),
            nullable=False,
            comment="Why, in the service's words (no mail content).",
        ),
        sa.Column("source", sa.String(length=160), nullable=False, comment="api, or imap:<mailbox name>."),
        sa.Column("size", sa.Integer(), nullable=False, comment="Bytes of the raw mail."),
        sa.Column(
            "sealed",
            sa.LargeBinary(),
            nullable=False,
            comment="The raw mail and its summary (sender, subject), AES-GCM under the tenant's payload key.",
        ),
        sa.Column(
            "key_id",
            sa.String(length=32),
            nullable=True,
            comment="The payload key it is sealed under; null: clear.",
        ),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False, comment="Deleted after (retention, personal data)."),
        sa.Column("released_at", WHEN, nullable=True),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.Column(
            "conversation_id", sa.String(length=256), nullable=True, comment="Where a release delivered it."
        ),
        sa.PrimaryKeyConstraint("quarantine_id", name=op.f("pk_mail_quarantine")),
        sa.UniqueConstraint("tenant", "message_id", name="uq_mail_quarantine_tenant_message"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_mail_quarantine_tenant_received",
        "mail_quarantine",
        ["tenant", "received_at", "quarantine_id"],
        if_not_exists=True,
    )
    op.create_index("ix_mail_quarantine_expires", "mail_quarantine", ["expires_at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_mail_quarantine_expires", table_name="mail_quarantine")
    op.drop_index("ix_mail_quarantine_tenant_received", table_name="mail_quarantine")
    op.drop_table("mail_quarantine")
