"""Conversation events for integrators' subscriptions: what one handled trail entry tells the outside.

The workflow derives the events of each handled event from its decision-trail entries with
`events_of` (pure, like the KPI facts' `facts_of`) and hands them to the `record_conversation_events`
local activity; the database fans them out to the tenant's subscriptions (engine/db/event_deliveries.py),
and the worker's dispatcher delivers them (engine/service/event_dispatcher.py).

What an event carries is the trail entry's KPI view (channel, team, assignee, priority, status change,
SLA target, rating, sender kind, replying agent) and the channel message id: never a message text,
a survey comment, a customer address or a name. The integrator's own systems posted the messages
(or their mail gateway did), so the id finds the text there; the events table and its retention
then hold no conversation content (docs/ARCHITECTURE.md, Event subscriptions).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # conversation.py keeps unsent events in the state: it imports this module
    from engine.contracts.conversation import DecisionEntry

# The trail events integrators can subscribe to, in the order the README lists them.
EVENT_TYPES = (
    "conversation.created",
    "message.received",
    "message.sent",
    "status.changed",
    "conversation.assigned",
    "conversation.unassigned",
    "conversation.reopened",
    "sla.warning",
    "sla.breached",
    "survey.completed",
    "message.bounced",
    "message.delivery_failed",
)
# What an event's `data` may take from the entry's KPI view: nothing a person wrote.
DATA_FIELDS = (
    "channel",
    "team",
    "assignee",
    "priority",
    "from",
    "to",
    "target",
    "rating",
    "sender",
    "agent",
    "bounce",
)


class ConversationEvent(BaseModel):
    """One event of one conversation, before it is numbered for each subscription."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: str
    conversation_id: str = Field(description="The integrator's conversation id (what the API takes).")
    event_id: str = Field(
        description="Stable and unique for the conversation's whole life: the outbound key scheme "
        "`{workflow id}:{life id}:{seq}`; it is the `webhook-id` of every delivery of the event."
    )
    type: str
    trail_seq: int = Field(description="The event's number in the conversation's decision trail.")
    thread: int
    occurred_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)

    def body(self, sequence: int, subscription_id: str) -> dict[str, Any]:
        """The JSON a receiver gets: Standard Webhooks' `type`/`timestamp`/`data` plus our ordering
        fields (`sequence`: the event's number in the subscription's line of this conversation, so
        a receiver of two subscriptions tells their lines apart by `subscription_id`)."""
        return {
            "type": self.type,
            "id": self.event_id,
            "timestamp": self.occurred_at.isoformat(),
            "subscription_id": subscription_id,
            "conversation_id": self.conversation_id,
            "sequence": sequence,
            "thread": self.thread,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data,
        }


class EventBatch(BaseModel):
    """The events of one or more handled events of one conversation, in trail order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    events: list[ConversationEvent]


def events_of(
    entry: DecisionEntry, *, tenant: str, conversation_id: str, event_id: str
) -> list[ConversationEvent]:
    """The subscription event one trail entry stands for (none for trail-only events: idle, survey.due).

    Called after the handler finished, when `entry.kpi` holds the conversation as the handler left
    it (core.py `_flush_events`), so an assignment event names the new assignee.
    """
    if entry.event not in EVENT_TYPES:
        return []
    view = entry.kpi or {}
    data: dict[str, Any] = {k: view[k] for k in DATA_FIELDS if view.get(k) is not None}
    if entry.message_id is not None:
        data["message_id"] = entry.message_id
    if entry.depth:
        data["raised_by_rules"] = True
    at = datetime.fromisoformat(view["at"]) if view.get("at") else entry.at
    return [
        ConversationEvent(
            tenant=tenant,
            conversation_id=conversation_id,
            event_id=event_id,
            type=entry.event,
            trail_seq=entry.seq,
            thread=entry.thread,
            occurred_at=at,
            data=data,
        )
    ]
