"""Event subscriptions: the subscribed URLs, the queue of events per subscription, and every
delivery attempt."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from engine.db.schema._base import TENANT, WHEN, metadata

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("subscription_id", String(32), primary_key=True, comment="Public id: sub_<hex>."),
    Column("tenant", TENANT, ForeignKey("tenants.tenant"), nullable=False),
    Column("url", Text, nullable=False, comment="Where events are POSTed (public unless allow_private)."),
    Column("events", JSON, nullable=False, comment="The event types delivered."),
    Column("description", String(500), nullable=False),
    Column("allow_private", Boolean, nullable=False, comment="May deliver to a private address."),
    Column("secret", Text, nullable=False, comment="The newest signing secret (whsec_...)."),
    Column("previous_secret", Text, nullable=True, comment="The rotated-out secret, until it retires."),
    Column("previous_retires_at", WHEN, nullable=True),
    Column(
        "earlier_secrets",
        JSON,
        nullable=True,
        comment="Secrets rotated out before the previous one: [[secret, retires_at], ...].",
    ),
    Column("state", String(16), nullable=False, comment="active, or failing."),
    Column("failing_since", WHEN, nullable=True),
    Column("created_at", WHEN, nullable=False),
    Column(
        "paused_at",
        WHEN,
        nullable=True,
        comment="Paused since (its events queue, none is sent); NULL: delivering.",
    ),
    Index("ix_subscriptions_tenant", "tenant"),
)

event_deliveries = Table(
    "event_deliveries",
    metadata,
    Column("subscription_id", String(32), nullable=False),
    Column("conversation_id", String(256), nullable=False),
    Column("sequence", Integer, nullable=False, comment="Per subscription and conversation."),
    Column("tenant", TENANT, nullable=False),
    Column("event_id", String(512), nullable=False, comment="Its webhook-id."),
    Column("type", String(64), nullable=False),
    Column("body", JSON, nullable=False, comment="The event as delivered (no message text)."),
    Column("created_at", WHEN, nullable=False),
    Column("state", String(16), nullable=False, comment="pending, delivered or failed (given up)."),
    Column("attempts", Integer, nullable=False),
    Column("window_starts_at", WHEN, nullable=False, comment="Retries stop 24 h after."),
    Column("next_attempt_at", WHEN, nullable=False),
    Column("claimed_until", WHEN, nullable=True, comment="A dispatcher is sending it until then."),
    Column("delivered_at", WHEN, nullable=True),
    PrimaryKeyConstraint("subscription_id", "conversation_id", "sequence"),
    UniqueConstraint("subscription_id", "event_id", name="uq_event_deliveries_subscription_event"),
    Index("ix_event_deliveries_state_next", "state", "next_attempt_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("subscription_id", String(32), nullable=False),
    Column("conversation_id", String(256), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("tenant", TENANT, nullable=False),
    Column("event_id", String(512), nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", WHEN, nullable=False),
    Column("status_code", Integer, nullable=True, comment="The receiver's HTTP status; null: no answer."),
    Column("error", String(300), nullable=True, comment="Why it failed: status, timeout, refused address."),
    Column("latency_ms", Integer, nullable=False),
    Column("next_retry_at", WHEN, nullable=True, comment="Next try; null: delivered or given up."),
    PrimaryKeyConstraint("subscription_id", "conversation_id", "sequence", "attempt"),
    Index("ix_delivery_attempts_subscription_at", "subscription_id", "at"),
)
