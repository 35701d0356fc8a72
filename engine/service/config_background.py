"""The settings of the work a worker does beside its workflows: event deliveries and retention.

A base of `Settings` (engine/service/config.py), which reads them from the environment with the
rest (`CONVOFLOW_SUBSCRIPTION_...`, `CONVOFLOW_RETENTION_...`); kept apart so each group of settings
stays readable on its own.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BackgroundWorkSettings(BaseSettings):
    """Event deliveries (engine/service/event_dispatcher.py) and retention sweeps
    (engine/service/retention_scheduler.py)."""

    model_config = SettingsConfigDict(
        env_prefix="CONVOFLOW_", extra="ignore", frozen=True, populate_by_name=True
    )

    subscription_private_tenants: str = Field(
        default="",
        description="Comma-separated tenants whose event subscriptions may deliver to private addresses "
        "(`allow_private: true`); an operator's decision, never a tenant's. The `dev` tenant of a fully "
        "embedded `convoflow up` (no TEMPORAL_ADDRESS, no CONVOFLOW_DATABASE_URL) always may.",
    )
    subscription_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How long one event delivery waits for the receiver's answer."
    )
    subscription_retry_first_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Pause before an event's first retry; doubles per attempt (jittered).",
    )
    subscription_retry_max_seconds: float = Field(
        default=3600.0, gt=0, description="Longest pause between two attempts of one event."
    )
    subscription_retry_hours: float = Field(
        default=24.0,
        gt=0,
        description="How long an event is retried before it is given up and its subscription marked failing.",
    )
    subscription_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often an idle dispatcher looks for due deliveries (events queued by the same "
        "worker wake it at once).",
    )
    subscription_concurrency: int = Field(
        default=16, ge=1, le=500, description="Event deliveries one worker sends at once."
    )
    subscription_concurrency_per_tenant: int = Field(
        default=12,
        ge=1,
        le=500,
        description="Of those, at most this many to one tenant's receivers: a tenant whose receiver hangs "
        "until the timeout holds these, and other tenants' events go on through the rest.",
    )
    subscription_retention_days: float = Field(
        default=7.0, gt=0, description="How long delivered and given-up events stay redeliverable."
    )

    retention_check_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How often a worker looks for tenants whose retention sweep is due "
        "(`retention_days`, `convoflow tenant set`).",
    )
    retention_sweep_minutes: float = Field(
        default=60.0,
        gt=0,
        le=10_080,
        description="How long after a tenant's retention sweep its next is due (at once when one "
        "reached its limit, as many conversations went past the keep time together).",
    )
