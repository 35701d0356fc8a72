"""Each published version keeps the test cases it was published with.

A rollback (`rules publish <hash>`, `POST /v1/rules/publish {"pack": "<hash>"}`) republished the
stored content, which the hash covers and tests are not part of: it ran no test, so a pack whose own
tests fail could be made active through a shadow run and its hash, and the console's editor opened
the active pack without its tests, so an edit could never be promoted.

Revision ID: 0018_version_tests
Revises: 0017_mailbox_marks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_version_tests"
down_revision = "0017_mailbox_marks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "tests" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("rule_packs")}:
        return
    op.add_column(
        "rule_packs",
        sa.Column(
            "tests",
            sa.JSON(),
            nullable=True,
            comment="The test cases this tenant last published the version with: a rollback reruns them.",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("rule_packs") as batch:
        batch.drop_column("tests")
