"""One recorded decision as replay gives it back: the exact context the rules saw, and what they decided.

The decision trail keeps each event's decision record but not its rule context (it would double the
state carried over continue-as-new). Replaying a conversation's histories gives the context back,
byte for byte what the `decide` local activity was asked plus what it filled in (business time);
engine/service/audit_capture.py does that and hands these values to the pure code here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CapturedDecision(BaseModel):
    """One `decide` call of one run, in the order the workflow made them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str = Field(description="The workflow run that asked for the decision.")
    seq: int | None = Field(default=None, description="The event's sequence number in the conversation.")
    thread: int = 1
    event: str = Field(description="The event type, as the rules saw it.")
    at: datetime | None = Field(default=None, description="The event's time (`event.time` of the context).")
    pack_hash: str
    context: dict[str, Any] = Field(description="The full rule context the pack decided on.")
    decision: dict[str, Any] | None = Field(
        default=None, description="The recorded decision record; None when the decision failed."
    )
    failure: str | None = Field(default=None, description="Why the decision failed, when it did.")
