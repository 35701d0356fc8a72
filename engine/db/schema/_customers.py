"""What a data subject's request needs: which conversations are a customer's, and what was erased;
and retention's schedule, which erases what a tenant keeps no longer.

A customer is known by the digest of their address (engine/db/customer_index.py), never by the
address as written: the index finds a customer's conversations without holding what it finds by.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, PrimaryKeyConstraint, String, Table

from engine.db.schema._base import TENANT, WHEN, metadata

customer_conversations = Table(
    "customer_conversations",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("customer_key", String(64), nullable=False, comment="SHA-256 of the tenant and the address."),
    Column(
        "conversation_id", String(256), nullable=False, comment="The integrator's id (what the API takes)."
    ),
    Column("channel", String(16), nullable=False),
    Column("first_seen_at", WHEN, nullable=False),
    PrimaryKeyConstraint("tenant", "customer_key", "conversation_id"),
    Index("ix_customer_conversations_conversation", "tenant", "conversation_id"),
)

erasures = Table(
    "erasures",
    metadata,
    Column("erasure_id", String(32), primary_key=True, comment="Public id: er_<hex>."),
    Column("tenant", TENANT, nullable=False),
    Column("customer_keys", JSON, nullable=False, comment="Digests of the addresses erased (no address)."),
    Column("conversations", JSON, nullable=False, comment="The conversation ids erased."),
    Column("removed", JSON, nullable=False, comment="Rows and workflow runs removed, by store."),
    Column("actor", String(128), nullable=True, comment="Who asked, as the caller named them."),
    Column(
        "details",
        JSON,
        nullable=True,
        comment="What was left and why: written_into_others, began_again, notes.",
    ),
    Column("erased_at", WHEN, nullable=False),
    Index("ix_erasures_tenant_erased", "tenant", "erased_at"),
)

retention_sweeps = Table(
    "retention_sweeps",
    metadata,
    Column("tenant", TENANT, primary_key=True),
    Column(
        "keep_days",
        Integer,
        nullable=True,
        comment="Days a closed conversation is kept after its last activity; NULL: kept for ever.",
    ),
    Column("next_at", WHEN, nullable=False, comment="When the next sweep is due (a claim moves it on)."),
    Column("last_began_at", WHEN, nullable=True),
    Column("last_ended_at", WHEN, nullable=True),
    Column(
        "last_result",
        JSON,
        nullable=True,
        comment="The last sweep's counts, erasure id or failure (no conversation content).",
    ),
    Index("ix_retention_sweeps_next_at", "next_at"),
)
