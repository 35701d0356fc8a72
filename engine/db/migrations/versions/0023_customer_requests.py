"""A customer's conversations by the digest of their address, and the record of each erasure.

A data-protection officer asked for one customer's conversations could only page every
conversation of the tenant and read each; nothing could erase them.

Revision ID: 0023_customer_requests
Revises: 0022_audit_key_fingerprint
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_customer_requests"
down_revision = "0022_audit_key_fingerprint"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_conversations",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_key",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the tenant and the address.",
        ),
        sa.Column(
            "conversation_id",
            sa.String(length=256),
            nullable=False,
            comment="The integrator's id (what the API takes).",
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "customer_key", "conversation_id", name="pk_customer_conversations"
        ),
        if_not_exists=True,  # SQLite commits each statement: an interrupted upgrade runs again
    )
    op.create_index(
        "ix_customer_conversations_conversation",
        "customer_conversations",
        ["tenant", "conversation_id"],
        if_not_exists=True,
    )
    op.create_table(
        "erasures",
        sa.Column("erasure_id", sa.String(length=32), nullable=False, comment="Public id: er_<hex>."),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_keys",
            sa.JSON(),
            nullable=False,
            comment="Digests of the addresses erased (no address).",
        ),
        sa.Column("conversations", sa.JSON(), nullable=False, comment="The conversation ids erased."),
        sa.Column("removed", sa.JSON(), nullable=False, comment="Rows and workflow runs removed, by store."),
        sa.Column(
            "actor", sa.String(length=128), nullable=True, comment="Who asked, as the caller named them."
        ),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("erasure_id", name="pk_erasures"),
        if_not_exists=True,
    )
    op.create_index("ix_erasures_tenant_erased", "erasures", ["tenant", "erased_at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_erasures_tenant_erased", table_name="erasures")
    op.drop_table("erasures")
    op.drop_index("ix_customer_conversations_conversation", table_name="customer_conversations")
    op.drop_table("customer_conversations")
