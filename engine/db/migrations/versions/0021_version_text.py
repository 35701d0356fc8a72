"""Each published version keeps the YAML it was published from through the API or the console.

A shadow candidate and a proposal keep theirs until they are promoted or approved: only then does
it become the version's (an unapproved proposal must not change what the editor opens as active).

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


COMMENTS = {
    "rule_packs": "The YAML this tenant last made the version active from, through the API or console.",
    "shadow_packs": "The YAML the candidate was published as shadow from: its version's text once promoted.",
    "pack_proposals": "The YAML the pack was proposed as: its version's text once approved.",
}


def upgrade() -> None:
    for table, comment in COMMENTS.items():
        op.add_column(table, sa.Column("text", sa.Text(), nullable=True, comment=comment))


def downgrade() -> None:
    for table in COMMENTS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("text")
