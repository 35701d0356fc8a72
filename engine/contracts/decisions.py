"""Requests to the rule and business-time local activities, and their answers (recorded in history)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.rules.context import RuleContext

# The rule engine holds integers in 64 bits: larger ones (a CRM's 10**26, an attachment size that
# got through) are read as the largest it holds rather than failing the decision; comparisons keep
# their sense ("size > 10 MB" stays true).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

TRIAGED_EVENTS = ("conversation.created", "message.received")
"""Events whose customer message `decide` classifies (a message's other events reuse the context)."""


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
    filled_only: bool = Field(
        default=False,
        description="Answer with only the parts the activity filled in (`DecideResult.filled`), not the "
        "whole context: the workflow has the rest. False from runs before the patch, which read `context`.",
    )
    triage: bool = Field(
        default=False,
        description="Classify the event's customer message (language, intent, sentiment) in this decision. "
        "False from runs before the `triage` patch: their recorded decisions had none.",
    )


class DecideResult(BaseModel):
    """A decision and what the workflow needs to run its actions (templates read the context).

    Histories recorded before `filled_only` carry the whole `context`; newer ones carry `filled`, a
    few hundred bytes instead of the whole context again, and the workflow rebuilds the same context
    with `seen_context`. Both shapes stay readable so old histories replay.
    """

    decision: dict[str, Any]
    context: dict[str, Any] | None = Field(
        default=None, description="The full context the rules saw (business time filled in); old shape."
    )
    filled: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="Only what the activity filled in, by context section (business_hours, conversation's "
        "business minutes, sla remaining and breached), merged over the request's context.",
    )
    triage: dict[str, Any] | None = Field(
        default=None,
        description="The customer message's triage record (engine/rules/triage): language, intent and "
        "sentiment with their scores, the intent model's hash and the words that weighed most.",
    )

    def context_for(self, sent: dict[str, Any]) -> dict[str, Any]:
        """The context the rules saw, for a request whose context was `sent`."""
        if self.context is not None:
            return self.context
        return seen_context(sent, self.filled or {}).to_data()


def json_safe(value: Any) -> Any:
    """`value` with integers saturated to 64 bits and non-finite floats as None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return min(max(value, INT64_MIN), INT64_MAX)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


LANGUAGE_CONFIDENCE = 0.6
"""The detector's confidence from which a detected language becomes the conversation's."""


def seen_context(sent: dict[str, Any], filled: dict[str, dict[str, Any]]) -> RuleContext:
    """The context the rules see: the workflow's context with the activity's parts merged over it.

    The one function both sides use (the activity to decide, the workflow to render templates),
    so a template reads exactly what the rules read.
    """
    data = json_safe(dict(sent))
    for section, fields in filled.items():
        data[section] = {**(data.get(section) or {}), **fields}
    return RuleContext.model_validate(data)


class TimeQuery(BaseModel):
    op: Literal["deadline", "elapsed"]
    start: datetime
    minutes: float | None = None
    end: datetime | None = None


class TimeRequest(BaseModel):
    pack_hash: str
    calendar: str | None
    queries: list[TimeQuery]
