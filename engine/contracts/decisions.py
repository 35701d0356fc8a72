"""Requests to the rule and business-time local activities, and their answers (recorded in history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class SlaClockView(BaseModel):
    """What the decision needs of one SLA target to put remaining minutes into the context."""

    name: str
    deadline: datetime | None = None
    remaining_minutes: float | None = None
    breached: bool = False


class DecideRequest(BaseModel):
    pack_hash: str
    context: dict[str, Any]
    calendar: str | None = None
    sla: list[SlaClockView] = Field(default_factory=list)


class DecideResult(BaseModel):
    decision: dict[str, Any]
    context: dict[str, Any] = Field(description="The full context the rules saw (business time filled in).")


class TimeQuery(BaseModel):
    op: Literal["deadline", "elapsed"]
    start: datetime
    minutes: float | None = None
    end: datetime | None = None


class TimeRequest(BaseModel):
    pack_hash: str
    calendar: str | None
    queries: list[TimeQuery]
