"""A fingerprint of each payload key id the cluster uses, so a part with other key material under a
known id is refused at start.

A host started with `k1:<another key>` sealed a conversation's first message under a key no other
part could open: the message answered 503, and the conversation stayed unreadable on every host.

Revision ID: 0020_key_fingerprints
Revises: 0019_candidate_authors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_key_fingerprints"
down_revision = "0019_candidate_authors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payload_key_fingerprints",
        sa.Column(
            "key_id",
            sa.String(length=32),
            nullable=False,
            comment="A payload key id of CONVOFLOW_PAYLOAD_KEYS.",
        ),
        sa.Column(
            "fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="HKDF of the key (not the key): a part with other key material under this id is refused.",
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name="pk_payload_key_fingerprints"),
    )


def downgrade() -> None:
    op.drop_table("payload_key_fingerprints")
