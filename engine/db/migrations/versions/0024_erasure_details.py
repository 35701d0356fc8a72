"""An erasure keeps what it left and why (conversations of others the customer wrote into, those a
message began anew, what the search could not do).

The record kept only what went: an auditor shown it could not tell an erasure that left a
conversation begun anew, or that searched a national number matching nothing, from a complete one.
(Chat and social handles are indexed as handles from this release on; rows written before stay,
found as before: `convoflow customer index` adds each conversation's customer's in the new form.)

Revision ID: 0024_erasure_details
Revises: 0023_customer_requests
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_erasure_details"
down_revision = "0023_customer_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "erasures",
        sa.Column(
            "details",
            sa.JSON(),
            nullable=True,
            comment="What was left and why: written_into_others, began_again, notes.",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("erasures") as batch:
        batch.drop_column("details")
