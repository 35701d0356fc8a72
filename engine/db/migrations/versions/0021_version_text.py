"""Each published version keeps the YAML it was published from through the API or the console.

The console's editor opened the active pack as its canonical JSON rewritten into YAML: every
comment gone, keys sorted (weekdays in alphabetical order), minutes as floats, so the lines of
`rules check` no longer matched the author's text, and publishing from the console dropped the
comments for good.

Revision ID: 0021_version_text
Revises: 0020_key_fingerprints
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_version_text"
down_revision = "0020_key_fingerprints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "rule_packs",
        sa.Column(
            "text",
            sa.Text(),
            nullable=True,
            comment="The YAML this tenant last published the version from through the API or console.",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("rule_packs") as batch:
        batch.drop_column("text")
