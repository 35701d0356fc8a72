"""KPI facts: what the KPI projection stores per conversation event (docs/kpis.md says what each means).

A fact is small and free of message text: which event, when, in which thread, and the handful of
attributes a KPI is grouped or measured by. The workflow hands one batch per handled event to the
`record_kpi_facts` local activity; `convoflow kpi rebuild` derives the same facts from the trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class KpiFact(BaseModel):
    """One fact; (tenant, conversation, life, seq, part) is its identity, so applying it twice counts once."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    conversation_id: str = Field(description="The integrator's conversation id (what the API takes).")
    life_id: str = Field(description="The conversation's first run id: tells apart two lives under one id.")
    thread: int
    seq: int = Field(description="The event's sequence number in the conversation.")
    part: int = Field(
        description="Several facts of one event (an auto reply and a status change) count 0, 1..."
    )
    kind: str
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class KpiFactBatch(BaseModel):
    """The facts of one handled event (a handler or a timer firing), written in one transaction."""

    model_config = ConfigDict(frozen=True)

    facts: list[KpiFact]
