"""The fingerprint of the key the cluster seals audit bundles with, so a part with another is refused.

An API replica started with another CONVOFLOW_AUDIT_KEY sealed bundles that `audit verify` refused
with the cluster's key ("not the one this bundle was sealed with"): evidence an auditor was handed
looked forged, though nothing had changed.

Revision ID: 0022_audit_key_fingerprint
Revises: 0021_version_text
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_audit_key_fingerprint"
down_revision = "0021_version_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_key_fingerprint",
        sa.Column(
            "sealing",
            sa.String(length=32),
            nullable=False,
            comment="What the key seals (`audit bundles`): one row, so two parts starting at once agree.",
        ),
        sa.Column(
            "fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="The key fingerprint bundles name in their manifest (not the key).",
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sealing", name="pk_audit_key_fingerprint"),
    )


def downgrade() -> None:
    op.drop_table("audit_key_fingerprint")
