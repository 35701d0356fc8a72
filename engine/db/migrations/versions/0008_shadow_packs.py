"""Shadow mode (issue 21): a candidate pack beside the live one, its comparisons, and activations.

- `shadow_packs`: the tenant's candidate (one at most), a version stored in `rule_packs`, with its
  test cases (a pack's hash and stored content leave them out; promotion runs them).
- `shadow_decisions`: one row per live decision also taken with the candidate, keyed by the run and
  the `decide` activity's id in it, so a decision repeated after a workflow task retry counts once.
- `pack_activations`: every time a version became a tenant's active pack, by whom, and how
  (publish or promote): the versions list shows who promoted a candidate.

Revision ID: 0008_shadow_packs
Revises: 0007_idempotency_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_shadow_packs"
down_revision = "0007_idempotency_keys"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pack_activations",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("pack_hash", sa.String(length=64), nullable=False),
        sa.Column("activated_at", WHEN, nullable=False),
        sa.Column(
            "activated_by",
            sa.String(length=128),
            nullable=True,
            comment="`api:<tenant>/<key>` or `cli:<user>`.",
        ),
        sa.Column(
            "via",
            sa.String(length=16),
            nullable=False,
            comment="publish or promote (a shadow pack made active).",
        ),
        sa.PrimaryKeyConstraint("tenant", "activated_at", "pack_hash", name=op.f("pk_pack_activations")),
        if_not_exists=True,
    )
    op.create_table(
        "shadow_packs",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "pack_hash",
            sa.String(length=64),
            nullable=False,
            comment="A version of the tenant's (rule_packs).",
        ),
        sa.Column(
            "tests",
            sa.JSON(),
            nullable=False,
            comment="The candidate's test cases (not part of the hashed content): what promotion runs.",
        ),
        sa.Column("published_by", sa.String(length=128), nullable=True),
        sa.Column("published_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_shadow_packs")),
        if_not_exists=True,
    )
    op.create_table(
        "shadow_decisions",
        sa.Column(
            "run_id",
            sa.String(length=64),
            nullable=False,
            comment="The conversation run whose decision this was.",
        ),
        sa.Column(
            "decision",
            sa.String(length=32),
            nullable=False,
            comment="The `decide` local activity's id in the run: one row per decision, however often "
            "retried.",
        ),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=256), nullable=False),
        sa.Column("shadow_hash", sa.String(length=64), nullable=False),
        sa.Column("live_hash", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column(
            "event_at",
            WHEN,
            nullable=False,
            comment="The event's time as the rules saw it (the trail's `at`).",
        ),
        sa.Column("event_depth", sa.Integer(), nullable=False),
        sa.Column(
            "live_actions",
            sa.JSON(),
            nullable=False,
            comment="[{rule, action}] as the decision record has them.",
        ),
        sa.Column("shadow_actions", sa.JSON(), nullable=False),
        sa.Column("live_matched", sa.JSON(), nullable=False, comment="Ids of the rules that matched."),
        sa.Column("shadow_matched", sa.JSON(), nullable=False),
        sa.Column(
            "shadow_errors", sa.JSON(), nullable=False, comment="Ids of the candidate's rules that failed."
        ),
        sa.Column(
            "differs",
            sa.Boolean(),
            nullable=False,
            comment="Whether the actions differ (as `rules diff` says).",
        ),
        sa.Column("at", WHEN, nullable=False, comment="When the comparison was made."),
        sa.PrimaryKeyConstraint("run_id", "decision", name=op.f("pk_shadow_decisions")),
        if_not_exists=True,
    )
    op.create_index("ix_shadow_decisions_tenant_at", "shadow_decisions", ["tenant", "at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_shadow_decisions_tenant_at", table_name="shadow_decisions")
    op.drop_table("shadow_decisions")
    op.drop_table("shadow_packs")
    op.drop_table("pack_activations")
