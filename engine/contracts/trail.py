"""The decision trail: one entry per event, what the rules decided and what was done about it.

The auditor's record of a conversation (`ConversationState.decisions`), kept in the workflow's state,
answered by its queries and carried across continue-as-new; its JSON objects are kept encoded once the
workflow is done changing an entry (engine/contracts/compact_json.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from engine.contracts.compact_json import CompactJson, JsonObject, plain


class ExecutedAction(BaseModel):
    index: str = Field(description="Action index in the decision; `2.1` is an escalation level's first.")
    action: dict[str, Any]
    outcome: str = "done"  # done, skipped, failed
    detail: str | None = None


CUSTOMER_MESSAGES = ("conversation.created", "message.received")
WRITTEN_APART = timedelta(minutes=1)
"""A message handed over this long after it was written is shown at both instants."""


class DecisionEntry(BaseModel):
    """One event's decision and what was done about it: the auditor's trail."""

    seq: int
    event: str
    at: datetime
    handled_at: datetime | None = Field(
        default=None,
        description="When the workflow handled the event, when that was over a minute after `at`: a "
        "timer whose instant had passed (a back-dated message's breach, a worker that was down). Its "
        "effects went out then, not at `at`.",
    )
    depth: int = 0
    decision: JsonObject | None = None
    executed: list[ExecutedAction] = Field(default_factory=list)
    note: str | None = None
    thread: int = 1
    message_id: str | None = Field(default=None, description="The channel message id of a message event.")
    assignment: JsonObject | None = Field(
        default=None, description="The desk's record of an assignment: candidates, filters, strategy, choice."
    )
    kpi: JsonObject | None = Field(
        default=None,
        description="What the KPI facts of this event are grouped and measured by (engine/kpis/facts.py): "
        "channel, team, assignee, priority, status change, SLA target, rating; never message text.",
    )
    triage: JsonObject | None = Field(
        default=None,
        description="The customer message's classification (issue 22): language, intent and sentiment "
        "with every score, the intent model's hash and the words that weighed most.",
    )

    def compact(self) -> None:
        """Keep the JSON objects encoded from now on (engine/contracts/compact_json.py): called once
        the workflow is done changing the entry, which then waits in the trail for queries and audits."""
        for name in COMPACT_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, CompactJson):
                setattr(self, name, CompactJson.of(value))

    def written_at(self) -> datetime | None:
        """When the customer wrote a message the channel handed over a minute or more later (its
        `received_at`, kept in the KPI view): the timeline and explain placed such a message at its
        handling, days after the SLA breach it caused (helper-121). None for any other entry."""
        if self.event not in CUSTOMER_MESSAGES or self.kpi is None:
            return None
        written = plain(self.kpi).get("at")
        if not isinstance(written, str):
            return None
        at = datetime.fromisoformat(written)
        return at if at <= self.at - WRITTEN_APART else None

    def encoded_size(self) -> int:
        """Bytes of its JSON objects encoded: what makes an entry large (a decision records every rule
        of the event with what it read, ~100 KB on a pack of a few hundred rules); the rest of an
        entry is a few hundred bytes."""
        values = (getattr(self, name) for name in COMPACT_FIELDS)
        return sum(CompactJson.of(value).size for value in values if value is not None)


COMPACT_FIELDS = ("decision", "assignment", "kpi", "triage")


def newest_within(entries: list[DecisionEntry], budget: int) -> list[DecisionEntry]:
    """The newest entries whose JSON objects take at most `budget` bytes together, in order."""
    kept = total = 0
    for entry in reversed(entries):
        total += entry.encoded_size()
        if total > budget:
            break
        kept += 1
    return entries[len(entries) - kept :]
