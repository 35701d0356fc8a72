"""Who published a shadow candidate, so its author cannot approve its promotion; and when a proposal's
base was activated, so a rollback to that base makes the proposal stale (compared as stored, not
against another host's clock).

Four-eyes compared the approving key with the key that proposed the promotion only: a candidate
published as shadow by one key, promoted by a second and approved by the first went live reviewed
by nobody but its author.

Revision ID: 0019_candidate_authors
Revises: 0018_version_tests
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_candidate_authors"
down_revision = "0018_version_tests"
branch_labels = None
depends_on = None

AUTHOR = "The API key that published the candidate as shadow (none from the CLI): it may not approve."
BASE_ACTIVATED = (
    "When the base was activated: activated again since (a rollback to it), the proposal is stale."
)


def _columns(table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    if "publisher_key" not in _columns("shadow_packs"):
        op.add_column(
            "shadow_packs", sa.Column("publisher_key", sa.String(32), nullable=True, comment=AUTHOR)
        )
    if "author_key" not in _columns("pack_proposals"):
        op.add_column("pack_proposals", sa.Column("author_key", sa.String(32), nullable=True, comment=AUTHOR))
    if "base_activated_at" not in _columns("pack_proposals"):
        op.add_column(
            "pack_proposals",
            sa.Column("base_activated_at", sa.DateTime(timezone=True), nullable=True, comment=BASE_ACTIVATED),
        )


def downgrade() -> None:
    with op.batch_alter_table("pack_proposals") as batch:
        batch.drop_column("base_activated_at")
        batch.drop_column("author_key")
    with op.batch_alter_table("shadow_packs") as batch:
        batch.drop_column("publisher_key")
