"""Delivery ledger: a `state` column, so a key is claimed before its send and settled after it.

Rows written before this revision were all recorded after their send: they default to delivered.
The column is added only when missing, so an interrupted run (SQLite commits the DDL before the
version stamp) runs again to the end.

Revision ID: 0002_db_delivery
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_db_delivery"
down_revision = "0001"
branch_labels = None
depends_on = None


def _has_state() -> bool:
    columns = sa.inspect(op.get_bind()).get_columns("delivery_ledger")
    return any(column["name"] == "state" for column in columns)


def upgrade() -> None:
    if not _has_state():
        op.add_column(
            "delivery_ledger",
            sa.Column(
                "state",
                sa.String(length=16),
                nullable=False,
                server_default="delivered",
                comment="claimed (a send in flight) or delivered.",
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_ledger") as batch:
        batch.drop_column("state")
