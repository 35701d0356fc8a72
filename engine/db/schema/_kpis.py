"""The KPI projection: one fact per handled event and one row per thread (`convoflow kpi rebuild`
writes them again from the decision trails)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from engine.db.schema._base import TENANT, WHEN, metadata

kpi_facts = Table(
    "kpi_facts",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("conversation_id", String(200), nullable=False),
    Column(
        "life_id", String(64), nullable=False, comment="The conversation's first run id ('' before threads)."
    ),
    Column("seq", Integer, nullable=False, comment="The event's sequence number in the conversation."),
    Column("part", Integer, nullable=False, comment="The fact's number among its event's facts."),
    Column("thread", Integer, nullable=False),
    Column("kind", String(32), nullable=False, comment="docs/kpis.md: created, customer_message, ..."),
    Column("at", WHEN, nullable=False),
    Column("data", JSON, nullable=False, comment="Channel, team, assignee, priority, status, SLA, rating."),
    PrimaryKeyConstraint("tenant", "conversation_id", "life_id", "seq", "part"),
    Index("ix_kpi_facts_tenant_at", "tenant", "at"),
)

kpi_threads = Table(
    "kpi_threads",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("conversation_id", String(200), nullable=False),
    Column("life_id", String(64), nullable=False),
    Column("thread", Integer, nullable=False),
    Column(
        "changes",
        Integer,
        nullable=False,
        comment="How many fact writes touched the thread; a summary is current for the count it read.",
    ),
    Column(
        "basis",
        Integer,
        nullable=False,
        comment=(
            "The summary's format (engine/kpis/summary.py VERSION) while current; 0 once facts changed."
        ),
    ),
    Column("started_at", WHEN, nullable=True),
    Column("settled_at", WHEN, nullable=True, comment="Solved or closed from then on; null: may still wait."),
    Column("first_at", WHEN, nullable=True, comment="The earliest instant among the thread's facts."),
    Column("last_at", WHEN, nullable=True, comment="The latest instant among the thread's facts."),
    Column("pack", String(64), nullable=True, comment="The hash of the pack the thread pinned."),
    Column("calendar", Text, nullable=True, comment="The business calendar it is measured on."),
    Column("summary", Text, nullable=True, comment="The thread's KPI values (engine/kpis/summary.py)."),
    PrimaryKeyConstraint("tenant", "conversation_id", "life_id", "thread"),
    Index("ix_kpi_threads_tenant_basis", "tenant", "basis"),
    Index("ix_kpi_threads_tenant_started_at", "tenant", "started_at"),
    # the backlog at a period's start: settled after it (or never), begun before it
    Index("ix_kpi_threads_tenant_settled_at", "tenant", "settled_at", "started_at"),
    # threads with facts on both sides of a period's end
    Index("ix_kpi_threads_tenant_last_at", "tenant", "last_at", "first_at"),
)
