"""Where each support mailbox began: the UID from which its mail is taken read or not.

A mailbox connected with years of handled mail in it acknowledged every one of those customers;
taking unread mail only lost mail a person opened before the connector took it. The mail there at
first connection (below `first_uid`) is taken when unread, the mail after it always.

Revision ID: 0017_mailbox_marks
Revises: 0016_earlier_secrets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_mailbox_marks"
down_revision = "0016_earlier_secrets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_marks",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "mailbox",
            sa.String(length=64),
            nullable=False,
            comment="The mailbox's name in CONVOFLOW_MAILBOXES.",
        ),
        sa.Column("uid_validity", sa.BigInteger(), nullable=False, comment="The folder's UIDVALIDITY then."),
        sa.Column(
            "first_uid",
            sa.BigInteger(),
            nullable=False,
            comment="The folder's UIDNEXT when first connected: mail below it was there before us.",
        ),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "mailbox", name="pk_mailbox_marks"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_marks")
