"""A conversation's SLA clocks as its state keeps them: each target's clock, the escalation levels
to come, and the breaches that gave way to a new clock of their name.

Part of `ConversationState` (engine/contracts/conversation.py); the workflow's SLA code
(workflows/conversation/sla.py) moves them, the API shows them (engine/api/conversation_views.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SlaTarget(BaseModel):
    """One SLA target's clock. Business minutes; instants are computed on the policy's calendar."""

    name: str
    target_minutes: float
    remaining_minutes: float
    running: bool = False
    deadline: datetime | None = None
    warning_at: datetime | None = None
    warned: bool = False
    breached_at: datetime | None = None
    met_at: datetime | None = None
    started_at: datetime | None = Field(default=None, description="When the clock last (re)started.")
    paused_at: datetime | None = Field(default=None, description="When the clock last paused.")


class PendingEscalation(BaseModel):
    """An escalation level to come. It waits while the SLA clocks are paused (a pending or snoozed
    conversation): `due_at` is then null and `remaining_minutes` holds the business minutes left."""

    level: int
    target: str
    due_at: datetime | None
    remaining_minutes: float | None = Field(
        default=None, description="Business minutes left while the clocks are paused, else null."
    )
    paused_at: datetime | None = Field(default=None, description="When the clocks' pause held it.")


class EarlierBreach(BaseModel):
    """A target that breached, then gave way to a new clock of its name (the next response to a later
    message, the resolution of a reopen, a changed policy's): its breach still counts for the thread."""

    target: str
    breached_at: datetime


class SlaState(BaseModel):
    policy: str | None = None
    calendar: str | None = None
    targets: dict[str, SlaTarget] = Field(default_factory=dict)
    escalations: list[PendingEscalation] = Field(default_factory=list)
    earlier_breaches: list[EarlierBreach] = Field(default_factory=list)

    @property
    def breached(self) -> bool:
        """Whether the thread breached a target: now, or one a new clock has replaced since."""
        return bool(self.earlier_breaches) or any(t.breached_at is not None for t in self.targets.values())
