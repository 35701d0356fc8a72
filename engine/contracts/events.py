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
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # conversation.py keeps unsent events in the state: it imports this module
    from engine.contracts.conversation import DecisionEntry

# The trail events integrators can subscribe to, in the order the README lists them.
EventType = Literal[
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
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
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
    "timer",
    "actor",
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


class EventData(BaseModel):
    """An event's `data`: what its trail entry tells of the conversation, nothing a person wrote."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_attribute_docstrings=True)

    channel: str | None = None
    """The conversation's channel (email, chat, whatsapp, sms, social)."""
    team: str | None = None
    assignee: str | None = None
    """The agent holding the conversation (after an assignment: the new one)."""
    priority: str | None = None
    from_: str | None = Field(default=None, alias="from")
    """A status change's previous status."""
    to: str | None = None
    """A status change's new status."""
    target: str | None = None
    """An SLA event's target: first_response, next_response or resolution."""
    rating: int | None = None
    """A survey's rating, 1 to 5."""
    sender: str | None = None
    """Who sent a customer message: customer, or automated (a machine's mail)."""
    agent: str | None = None
    """The agent who replied (`message.sent`)."""
    bounce: str | None = None
    """A delivery report's RFC 3463 status code (5.1.1), never its diagnostic text."""
    message_id: str | None = None
    """The channel message id of the message the event is about: your systems hold its text."""
    raised_by_rules: bool | None = None
    """True for an event the rules' own actions raised (a status they set)."""
    timer: bool | None = None
    """True for a status change a timer made (the auto-close of a pending conversation, the end of
    the reopen window or of a snooze), not a person or a rule."""
    actor: str | None = None
    """Who made a status change or took the agent off, as the API call named them (`actor`); left
    out when the call named nobody."""


class DeliveredEvent(BaseModel):
    """The body of each signed POST to a subscription (Standard Webhooks: `type`, `timestamp`, `data`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    type: EventType
    id: str
    """The event's id, stable for the conversation's whole life: the `webhook-id` of every delivery."""
    timestamp: datetime
    subscription_id: str | None = None
    """The subscription it was delivered for (absent on events queued before the release that added it)."""
    conversation_id: str
    """Your conversation id, as the API takes it."""
    sequence: int | None = None
    """The event's number in this subscription's line of the conversation, from 1 without gaps."""
    thread: int
    occurred_at: datetime
    data: EventData


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
