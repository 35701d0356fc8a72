"""KPI thread summaries: a row per thread, so a report reads its period's threads, not every fact.

- `kpi_threads`: one row per (tenant, conversation, life, thread) with the thread's KPI values as
  compact text (engine/kpis/summary.py), the instants a report selects threads by (begun, settled,
  first and last fact), and `changes`/`basis`: a fact write counts up `changes` and sets `basis` to 0
  in its own transaction, and the next report measures such threads again (docs/kpis.md "Costs").
- Every thread that already has facts gets a row with `basis` 0, so the first report summarizes it.

Every step checks whether it already ran, so an interrupted run (SQLite commits the DDL before the
version stamp) runs again to the end.

Revision ID: 0010_kpi_threads
Revises: 0009_pack_proposals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_kpi_threads"
down_revision = "0009_pack_proposals"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_kpi_threads_tenant_basis": ["tenant", "basis"],
    "ix_kpi_threads_tenant_started_at": ["tenant", "started_at"],
    "ix_kpi_threads_tenant_settled_at": ["tenant", "settled_at", "started_at"],
    "ix_kpi_threads_tenant_last_at": ["tenant", "last_at", "first_at"],
}


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.create_table(
        "kpi_threads",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("life_id", sa.String(length=64), nullable=False),
        sa.Column("thread", sa.Integer(), nullable=False),
        sa.Column(
            "changes",
            sa.Integer(),
            nullable=False,
            comment="How many fact writes touched the thread; a summary is current for the count it read.",
        ),
        sa.Column(
            "basis",
            sa.Integer(),
            nullable=False,
            comment=(
                "The summary's format (engine/kpis/summary.py VERSION) while current; 0 once facts changed."
            ),
        ),
        sa.Column("started_at", when, nullable=True),
        sa.Column(
            "settled_at", when, nullable=True, comment="Solved or closed from then on; null: may still wait."
        ),
        sa.Column("first_at", when, nullable=True, comment="The earliest instant among the thread's facts."),
        sa.Column("last_at", when, nullable=True, comment="The latest instant among the thread's facts."),
        sa.Column(
            "pack", sa.String(length=64), nullable=True, comment="The hash of the pack the thread pinned."
        ),
        sa.Column("calendar", sa.Text(), nullable=True, comment="The business calendar it is measured on."),
        sa.Column(
            "summary", sa.Text(), nullable=True, comment="The thread's KPI values (engine/kpis/summary.py)."
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "conversation_id", "life_id", "thread", name=op.f("pk_kpi_threads")
        ),
        if_not_exists=True,
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "kpi_threads", columns, if_not_exists=True)
    op.execute(
        "INSERT INTO kpi_threads (tenant, conversation_id, life_id, thread, changes, basis) "
        "SELECT DISTINCT f.tenant, f.conversation_id, f.life_id, f.thread, 1, 0 FROM kpi_facts f "
        "WHERE NOT EXISTS (SELECT 1 FROM kpi_threads t WHERE t.tenant = f.tenant "
        "AND t.conversation_id = f.conversation_id AND t.life_id = f.life_id AND t.thread = f.thread)"
    )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="kpi_threads")
    op.drop_table("kpi_threads")
