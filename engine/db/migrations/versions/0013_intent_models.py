"""Intent models (issue 22): each pack version's trained classifier, as plain JSON with its hash.

Revision ID: 0013_intent_models
Revises: 0012_mail_quarantine
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_intent_models"
down_revision = "0012_mail_quarantine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intent_models",
        sa.Column(
            "pack_hash",
            sa.String(length=64),
            nullable=False,
            comment="The pack version whose intents trained it.",
        ),
        sa.Column(
            "model_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of `model`: named in decision trails.",
        ),
        sa.Column(
            "model",
            sa.Text(),
            nullable=False,
            comment="The classifier's weights as plain JSON (never pickled).",
        ),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pack_hash"),
    )


def downgrade() -> None:
    op.drop_table("intent_models")
