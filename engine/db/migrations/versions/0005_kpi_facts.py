"""KPI facts: the projection KPIs are computed from (issue 18, docs/kpis.md).

- `kpi_facts`: one row per fact of a conversation event, keyed by tenant, conversation, life, event
  seq and part, so a fact written twice (an activity retried, a rebuild over live rows) counts once.

Revision ID: 0005_kpi_facts
Revises: 0004_agents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_kpi_facts"
down_revision = "0004_agents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_facts",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column(
            "life_id",
            sa.String(length=64),
            nullable=False,
            comment="The conversation's first run id ('' before threads).",
        ),
        sa.Column(
            "seq", sa.Integer(), nullable=False, comment="The event's sequence number in the conversation."
        ),
        sa.Column("part", sa.Integer(), nullable=False, comment="The fact's number among its event's facts."),
        sa.Column("thread", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="docs/kpis.md: created, customer_message, ...",
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "data",
            sa.JSON(),
            nullable=False,
            comment="Channel, team, assignee, priority, status, SLA, rating.",
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "conversation_id", "life_id", "seq", "part", name=op.f("pk_kpi_facts")
        ),
        if_not_exists=True,
    )
    op.create_index("ix_kpi_facts_tenant_at", "kpi_facts", ["tenant", "at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_kpi_facts_tenant_at", table_name="kpi_facts")
    op.drop_table("kpi_facts")
