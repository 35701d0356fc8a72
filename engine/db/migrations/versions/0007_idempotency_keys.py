"""Idempotency keys: the first answer to each POST sent with an `Idempotency-Key` (engine/api/idempotency.py).

- `idempotency_keys`: one row per (tenant, API key, Idempotency-Key), kept 24 hours; shared by every
  API replica, so a retry that lands on another replica is answered the same.

Revision ID: 0007_idempotency_keys
Revises: 0006_console_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_idempotency_keys"
down_revision = "0006_console_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "key_scope",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 hex of the API key the POST came with.",
        ),
        sa.Column(
            "key_hash", sa.String(length=64), nullable=False, comment="SHA-256 hex of the Idempotency-Key."
        ),
        sa.Column(
            "fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 hex of the method, path and body.",
        ),
        sa.Column(
            "status", sa.Integer(), nullable=True, comment="The stored answer's status; null while it runs."
        ),
        sa.Column(
            "headers", sa.JSON(), nullable=True, comment="The stored answer's headers worth repeating."
        ),
        sa.Column(
            "body", sa.LargeBinary(), nullable=True, comment="The stored answer's body (secrets left out)."
        ),
        sa.Column(
            "claimed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="When the running request took the key.",
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "key_scope", "key_hash", name=op.f("pk_idempotency_keys")),
        if_not_exists=True,
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
