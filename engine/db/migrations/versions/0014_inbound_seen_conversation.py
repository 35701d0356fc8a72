"""Inbound dedup: the conversation an id was delivered to, so a repeat can name it.

A mail relay that posts a mail twice (its retry after a timeout) does not know which conversation the
service threaded it into; the repeat's answer names it. Rows written before this revision have none
(they expire within the retention). Added only when missing, as 0002 does, so an interrupted run
(SQLite commits the DDL before the version stamp) runs again to the end.

Revision ID: 0014_inbound_seen_conversation
Revises: 0013_intent_models
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_inbound_seen_conversation"
down_revision = "0013_intent_models"
branch_labels = None
depends_on = None


def _has_conversation() -> bool:
    columns = sa.inspect(op.get_bind()).get_columns("inbound_seen")
    return any(column["name"] == "conversation_id" for column in columns)


def upgrade() -> None:
    if not _has_conversation():
        op.add_column(
            "inbound_seen",
            sa.Column(
                "conversation_id",
                sa.String(length=256),
                nullable=True,
                comment="The conversation the message was delivered to.",
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_seen") as batch:
        batch.drop_column("conversation_id")
