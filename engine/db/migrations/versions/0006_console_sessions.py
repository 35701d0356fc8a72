"""Console sessions: the ops console's sign-ins (engine/api/console/sessions.py).

- `console_sessions`: one row per signed-in browser, keyed by the SHA-256 of its cookie, so a leaked
  database holds no usable cookie; shared by every API replica, so any of them serves the session.

Revision ID: 0006_console_sessions
Revises: 0005_kpi_facts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_console_sessions"
down_revision = "0005_kpi_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column(
            "token_hash", sa.String(length=64), nullable=False, comment="SHA-256 hex of the session cookie."
        ),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column(
            "key_id",
            sa.String(length=32),
            nullable=False,
            comment="The API key signed in with (`settings`: a settings key).",
        ),
        sa.Column(
            "key_hash",
            sa.String(length=64),
            nullable=False,
            comment="Its SHA-256: a revoked key ends its sessions.",
        ),
        sa.Column(
            "csrf_token",
            sa.String(length=64),
            nullable=False,
            comment="What every form that changes something carries.",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
        if_not_exists=True,
    )
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_console_sessions_expires_at", table_name="console_sessions")
    op.drop_table("console_sessions")
