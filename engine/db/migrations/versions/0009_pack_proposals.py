"""Four-eyes publishing (issue 21): a tenant setting, its change history, and pack proposals.

- `tenants.require_approval`: when set, a publish or a promotion becomes a proposal that a second
  ops or admin key of the tenant approves (engine/db/proposals.py).
- `tenant_setting_changes`: who changed a tenant setting, when, to what (the setting is a control:
  turning it off is itself kept).
- `pack_proposals`: each proposal with its diff against the active pack it was proposed over, and
  who approved or rejected it, when, with what comment.
- `pack_activations.proposal_id`: the approved proposal an activation carried out.

Revision ID: 0009_pack_proposals
Revises: 0008_shadow_packs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_pack_proposals"
down_revision = "0008_shadow_packs"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _columns(table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    if "require_approval" not in _columns("tenants"):
        op.add_column(
            "tenants",
            sa.Column(
                "require_approval",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="Four-eyes: a publish or promotion waits for a second ops or admin key's approval.",
            ),
        )
    if "proposal_id" not in _columns("pack_activations"):
        op.add_column(
            "pack_activations",
            sa.Column(
                "proposal_id",
                sa.String(length=32),
                nullable=True,
                comment="The approved proposal this activation carried out (four-eyes); null without one.",
            ),
        )
    op.create_table(
        "tenant_setting_changes",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "setting", sa.String(length=64), nullable=False, comment="The column of `tenants` changed."
        ),
        sa.Column("value", sa.JSON(), nullable=True, comment="Its new value."),
        sa.Column(
            "changed_by",
            sa.String(length=128),
            nullable=True,
            comment="`api:<tenant>/<key>` or `cli:<user>`.",
        ),
        sa.Column("changed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "changed_at", "setting", name=op.f("pk_tenant_setting_changes")),
        if_not_exists=True,
    )
    op.create_table(
        "pack_proposals",
        sa.Column(
            "proposal_id", sa.String(length=32), nullable=False, comment="Public id (p_ and 16 hex digits)."
        ),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "kind", sa.String(length=16), nullable=False, comment="publish or promote (the shadow pack's)."
        ),
        sa.Column(
            "pack_hash",
            sa.String(length=64),
            nullable=False,
            comment="A version of the tenant's (rule_packs).",
        ),
        sa.Column(
            "base_hash",
            sa.String(length=64),
            nullable=True,
            comment="The active pack when proposed: approving after it changed is refused (stale).",
        ),
        sa.Column(
            "tests", sa.JSON(), nullable=True, comment="A promotion's test cases: the gate re-runs them."
        ),
        sa.Column(
            "diff",
            sa.JSON(),
            nullable=False,
            comment="What changes against the base (engine/rules/pack_diff.py).",
        ),
        sa.Column("proposed_by", sa.String(length=128), nullable=False, comment="`api:<tenant>/<key>`."),
        sa.Column("proposer_key", sa.String(length=32), nullable=False, comment="The proposing key's id."),
        sa.Column("proposed_at", WHEN, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="pending, approved or rejected."),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decider_key", sa.String(length=32), nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("comment", sa.Text(), nullable=True, comment="The approver's or rejecter's comment."),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_pack_proposals")),
        if_not_exists=True,
    )
    op.create_index(
        "ix_pack_proposals_tenant_proposed_at",
        "pack_proposals",
        ["tenant", "proposed_at"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_pack_proposals_tenant_proposed_at", table_name="pack_proposals")
    op.drop_table("pack_proposals")
    op.drop_table("tenant_setting_changes")
    with op.batch_alter_table("pack_activations") as batch:
        batch.drop_column("proposal_id")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("require_approval")
