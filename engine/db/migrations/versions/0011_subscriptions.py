"""Event subscriptions for integrators (issue 19): subscriptions, their delivery queue and attempts.

- `subscriptions`: a tenant's receivers: URL, event types, signing secrets (the newest, and the
  rotated-out one until it retires), whether private addresses are allowed, active or failing.
- `event_deliveries`: one row per (subscription, event), numbered per subscription and conversation
  from 1 without gaps; the dispatcher claims due rows, the head of each conversation's line first.
- `delivery_attempts`: every attempt with its status code, error, latency and next retry.

Revision ID: 0011_subscriptions
Revises: 0010_kpi_threads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_subscriptions"
down_revision = "0010_kpi_threads"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
TENANT = sa.String(length=64)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.String(length=32), nullable=False, comment="Public id: sub_<hex>."),
        sa.Column("tenant", TENANT, nullable=False),
        sa.Column(
            "url", sa.Text(), nullable=False, comment="Where events are POSTed (public unless allow_private)."
        ),
        sa.Column(
            "events",
            sa.JSON(),
            nullable=False,
            comment="The event types delivered.",
        ),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("allow_private", sa.Boolean(), nullable=False, comment="May deliver to a private address."),
        sa.Column("secret", sa.Text(), nullable=False, comment="The newest signing secret (whsec_...)."),
        sa.Column(
            "previous_secret", sa.Text(), nullable=True, comment="The rotated-out secret, until it retires."
        ),
        sa.Column("previous_retires_at", WHEN, nullable=True),
        sa.Column(
            "state",
            sa.String(length=16),
            nullable=False,
            comment="active, or failing.",
        ),
        sa.Column("failing_since", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name=op.f("fk_subscriptions_tenant")),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_subscriptions")),
        if_not_exists=True,
    )
    op.create_index("ix_subscriptions_tenant", "subscriptions", ["tenant"], if_not_exists=True)
    op.create_table(
        "event_deliveries",
        sa.Column("subscription_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=256), nullable=False),
        sa.Column(
            "sequence",
            sa.Integer(),
            nullable=False,
            comment="Per subscription and conversation.",
        ),
        sa.Column("tenant", TENANT, nullable=False),
        sa.Column("event_id", sa.String(length=512), nullable=False, comment="Its webhook-id."),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False, comment="The event as delivered (no message text)."),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column(
            "state", sa.String(length=16), nullable=False, comment="pending, delivered or failed (given up)."
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_starts_at", WHEN, nullable=False, comment="Retries stop 24 h after."),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("claimed_until", WHEN, nullable=True, comment="A dispatcher is sending it until then."),
        sa.Column("delivered_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint(
            "subscription_id", "conversation_id", "sequence", name=op.f("pk_event_deliveries")
        ),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_event_deliveries_subscription_event"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_event_deliveries_state_next", "event_deliveries", ["state", "next_attempt_at"], if_not_exists=True
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("subscription_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=256), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("tenant", TENANT, nullable=False),
        sa.Column("event_id", sa.String(length=512), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column(
            "status_code", sa.Integer(), nullable=True, comment="The receiver's HTTP status; null: no answer."
        ),
        sa.Column(
            "error",
            sa.String(length=300),
            nullable=True,
            comment="Why it failed: status, timeout, refused address.",
        ),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column(
            "next_retry_at",
            WHEN,
            nullable=True,
            comment="Next try; null: delivered or given up.",
        ),
        sa.PrimaryKeyConstraint(
            "subscription_id", "conversation_id", "sequence", "attempt", name=op.f("pk_delivery_attempts")
        ),
        if_not_exists=True,
    )
    op.create_index(
        "ix_delivery_attempts_subscription_at",
        "delivery_attempts",
        ["subscription_id", "at"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_attempts_subscription_at", table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_index("ix_event_deliveries_state_next", table_name="event_deliveries")
    op.drop_table("event_deliveries")
    op.drop_index("ix_subscriptions_tenant", table_name="subscriptions")
    op.drop_table("subscriptions")
