"""Agents: each tenant's roster for assignment (issue 16).

- `agents`: one row per agent of a tenant: teams, skills, channels and capacity (JSON), presence
  with why it was last changed (`set`, or `heartbeat timeout` when the agent's client went silent),
  and the client's last heartbeat.

The step checks whether it already ran, so an interrupted run (SQLite commits the DDL before the
version stamp) runs again to the end.

Revision ID: 0004_agents
Revises: 0003_trust
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_agents"
down_revision = "0003_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.create_table(
        "agents",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False, comment="Team names of the tenant's active pack."),
        sa.Column(
            "skills", sa.JSON(), nullable=False, comment="Skills the teams of the pack declare (`lang:de`)."
        ),
        sa.Column(
            "channels", sa.JSON(), nullable=False, comment="Channels the agent takes; empty: every channel."
        ),
        sa.Column(
            "capacity",
            sa.JSON(),
            nullable=False,
            comment="Open conversations at once, by channel (`*`: all).",
        ),
        sa.Column("presence", sa.String(length=16), nullable=False, comment="online, away or offline."),
        sa.Column(
            "presence_reason",
            sa.String(length=32),
            nullable=False,
            comment="`set` (through the API or CLI) or `heartbeat timeout` (the client went silent).",
        ),
        sa.Column("presence_changed_at", when, nullable=False),
        sa.Column("last_heartbeat_at", when, nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "agent_id", name=op.f("pk_agents")),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("agents")
