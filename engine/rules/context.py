"""What a rule can read: the documented contract between the workflow and rule authors.

The workflow fills this model for every event; the validator accepts a `var` path only if this model
has it; docs/rule-context.md is generated from it. One model, so docs and validator never drift.
Times are ISO 8601 strings in the data rules see, and durations are business minutes computed
before evaluation (rules never read a clock).
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    CONVERSATION_CREATED = "conversation.created"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_SENT = "message.sent"
    STATUS_CHANGED = "status.changed"
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_UNASSIGNED = "conversation.unassigned"
    ASSIGNMENT_TIMEOUT = "assignment.timeout"
    SLA_WARNING = "sla.warning"
    SLA_BREACHED = "sla.breached"
    SURVEY_COMPLETED = "survey.completed"
    CONVERSATION_REOPENED = "conversation.reopened"
    CONVERSATION_IDLE = "conversation.idle"
    MESSAGE_BOUNCED = "message.bounced"
    MESSAGE_DELIVERY_FAILED = "message.delivery_failed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class _Part(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class EventInfo(_Part):
    type: EventType = Field(description="The event being decided on.")
    time: datetime = Field(description="When it happened (the workflow's clock, never the wall clock).")
    depth: int = Field(default=0, description="0 for outside events; n for an event raised by an action.")
    previous_status: str | None = Field(default=None, description="status.changed: the status before.")
    sla_target: str | None = Field(
        default=None, description="sla.warning / sla.breached: first_response, next_response or resolution."
    )
    bounced_message_id: str | None = Field(
        default=None, description="message.bounced: the Message-ID of our email that did not arrive."
    )
    bounce_action: str | None = Field(
        default=None, description="message.bounced: failed or delayed (RFC 3464 Action)."
    )
    bounce_status: str | None = Field(
        default=None, description="message.bounced: the enhanced status code, e.g. 5.1.1 (no such mailbox)."
    )
    failed_message_id: str | None = Field(
        default=None,
        description="message.delivery_failed: the `message_id` of the agent's reply the channel refused "
        "(at once, or for good after its retries).",
    )


class ConversationInfo(_Part):
    id: str = Field(default="", description="The channel's conversation id.")
    channel: str = Field(default="email", description="email, chat, whatsapp, sms or social.")
    status: str = Field(default="open", description="open, pending, on_hold, solved or closed.")
    priority: Priority = Field(default=Priority.NORMAL, description="low, normal, high or urgent.")
    tags: list[str] = Field(default_factory=list, description="Current tags.")
    team: str | None = Field(default=None, description="Team the conversation is routed to.")
    assignee: str | None = Field(default=None, description="Assigned agent id.")
    language: str | None = Field(
        default=None,
        description="Conversation language (e.g. en, de): declared, the CRM's, or detected (a sure "
        "detection of the first message is read by its own decision).",
    )
    customer_messages: int = Field(default=0, description="Customer messages so far.")
    agent_messages: int = Field(default=0, description="Agent replies so far.")
    reopened: int = Field(default=0, description="How often it was reopened.")
    escalation_level: int = Field(default=0, description="Highest escalation level reached.")
    created_at: datetime | None = Field(default=None, description="When the conversation started.")
    first_agent_reply_at: datetime | None = Field(default=None, description="First agent reply.")
    last_customer_message_at: datetime | None = Field(default=None, description="Latest customer message.")
    business_minutes_open: float | None = Field(
        default=None, description="Business minutes since creation, on the SLA calendar."
    )
    business_minutes_since_customer_message: float | None = Field(
        default=None, description="Business minutes since the latest customer message."
    )


class Attachment(_Part):
    name: str = Field(description="File name.")
    content_type: str = Field(default="application/octet-stream", description="MIME type.")
    size: int = Field(default=0, description="Bytes.")


class MessageInfo(_Part):
    text: str = Field(
        default="",
        description="The customer's new text, as plain text: for email, without the quoted history and "
        "signature (those are `message.quoted`).",
    )
    quoted: str = Field(
        default="", description="Email: the quoted history and signature below the new text (may be empty)."
    )
    subject: str | None = Field(default=None, description="Email subject, when there is one.")
    sender: str | None = Field(default=None, alias="from", description="Sender address or handle.")
    channel_message_id: str | None = Field(default=None, description="The channel's message id.")
    auto_submitted: bool = Field(default=False, description="Sent by a machine (auto-reply, bounce).")
    attachments: list[Attachment] = Field(default_factory=list, description="Attached files.")
    language: str | None = Field(
        default=None,
        description="Customer messages: the language it is written in, of those the pack serves (ISO 639-1).",
    )
    language_confidence: float | None = Field(default=None, description="The detector's confidence, 0 to 1.")
    intent: str | None = Field(
        default=None,
        description="Customer messages: the pack's intent it most likely expresses; empty below "
        "`triage.intent_threshold` or when the pack declares no intents.",
    )
    intent_confidence: float | None = Field(default=None, description="The intent's probability, 0 to 1.")
    sentiment: float | None = Field(
        default=None, description="Customer messages: -1 (angry) to 1 (happy); empty without a lexicon."
    )
    sentiment_label: str | None = Field(default=None, description="negative, neutral or positive.")


class CustomerInfo(_Part):
    known: bool = Field(default=False, description="The CRM knows this customer.")
    id: str | None = Field(default=None, description="CRM id.")
    name: str | None = Field(default=None, description="Full name.")
    first_name: str | None = Field(
        default=None,
        description="First name (for greetings): the CRM's, else the name's first word, or the word "
        'after the comma of "Doe, John".',
    )
    email: str | None = Field(default=None, description="Email address.")
    phone: str | None = Field(default=None, description="Phone number.")
    tier: str | None = Field(default=None, description="Plan or tier (e.g. free, pro, vip).")
    lifetime_value: float | None = Field(default=None, description="Revenue to date.")
    language: str | None = Field(default=None, description="Preferred language.")
    custom: dict[str, Any] = Field(default_factory=dict, description="CRM custom fields, any name.")


class SlaInfo(_Part):
    policy: str | None = Field(default=None, description="Applied SLA policy.")
    first_response_remaining_minutes: float | None = Field(
        default=None,
        description="Business minutes left for the first response (policy's calendar; 0 once breached).",
    )
    next_response_remaining_minutes: float | None = Field(
        default=None,
        description="Business minutes left for the next response (policy's calendar; 0 once breached).",
    )
    resolution_remaining_minutes: float | None = Field(
        default=None, description="Business minutes left for resolution (policy's calendar; 0 once breached)."
    )
    breached: bool = Field(default=False, description="Any target breached.")
    first_response_breached: bool = Field(default=False, description="First response target breached.")
    next_response_breached: bool = Field(default=False, description="Next response target breached.")
    resolution_breached: bool = Field(default=False, description="Resolution target breached.")


class BusinessHoursInfo(_Part):
    """The conversation's calendar at the event time: its team's calendar, else its SLA policy's, else
    the pack's `settings.business_hours_calendar` (at `conversation.created` it has neither a team nor a
    policy yet), else the pack's only calendar (RulePack.business_hours_calendar)."""

    open: bool = Field(
        default=True,
        description="The conversation's calendar is open at the event time: its team's calendar, else its "
        "SLA policy's, else the pack's `settings.business_hours_calendar` (at `conversation.created`).",
    )
    next_open: datetime | None = Field(default=None, description="When it next opens (now, when open).")


class SurveyInfo(_Part):
    rating: int | None = Field(default=None, description="survey.completed: rating 1-5.")
    comment: str | None = Field(default=None, description="survey.completed: free text.")


class AssigneeInfo(_Part):
    """The assigned agent as the assignment desk saw it when it chose them."""

    id: str | None = Field(default=None, description="Agent id (as conversation.assignee).")
    presence: str | None = Field(default=None, description="online, away or offline, when assigned.")
    load: int | None = Field(default=None, description="Conversations counting toward capacity, when chosen.")
    capacity: int | None = Field(
        default=None, description="The agent's capacity on the conversation's channel."
    )


class QueueInfo(_Part):
    queued: bool = Field(default=False, description="Waiting in the team's queue for an agent.")
    position: int | None = Field(default=None, description="1-based place in the queue, when last told.")
    length: int = Field(default=0, description="Conversations waiting in the team's queue, when last told.")


class TeamInfo(_Part):
    name: str | None = Field(default=None, description="The team (as conversation.team).")
    queue: QueueInfo = Field(default_factory=QueueInfo)


class RuleContext(_Part):
    """Everything a rule condition can read, by `var` path (e.g. `customer.tier`)."""

    event: EventInfo
    conversation: ConversationInfo = Field(default_factory=ConversationInfo)
    message: MessageInfo = Field(default_factory=MessageInfo)
    customer: CustomerInfo = Field(default_factory=CustomerInfo)
    sla: SlaInfo = Field(default_factory=SlaInfo)
    business_hours: BusinessHoursInfo = Field(default_factory=BusinessHoursInfo)
    survey: SurveyInfo = Field(default_factory=SurveyInfo)
    assignee: AssigneeInfo = Field(default_factory=AssigneeInfo)
    team: TeamInfo = Field(default_factory=TeamInfo)

    def to_data(self) -> dict[str, Any]:
        """JSON-only data for the engine (aliases such as `message.from` applied)."""
        return self.model_dump(mode="json", by_alias=True)


# -- paths -------------------------------------------------------------------------------------


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted context path (`customer.first_name`, `message.attachments.0.name`), or None."""
    return value_at_parts(data, tuple(path.split(".")))


def value_at_parts(data: Any, parts: tuple[str, ...]) -> Any:
    """`value_at` of a path already split (the rule compiler splits each path once)."""
    for part in parts:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


OPEN_ENDED = ("customer.custom",)  # anything below these is accepted


def _model_of(annotation: Any) -> type[BaseModel] | None:
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        for arg in args:
            found = _model_of(arg)
            if found:
                return found
    return None


_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", datetime: "date-time"}


def _type_name(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        named = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(named) + (" or null" if type(None) in args else "")
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict or annotation is Any:
        return "object"
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return "string"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return _SCALARS.get(annotation, str(annotation))


def fields(model: type[BaseModel] = RuleContext, prefix: str = "") -> list[tuple[str, str, str]]:
    """(path, type, description) for every field, depth first, in declaration order."""
    rows = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}{key}"
        sub = _model_of(info.annotation)
        is_list = typing.get_origin(info.annotation) is list
        if sub is not None and not is_list:
            rows.extend(fields(sub, f"{path}."))
        else:
            rows.append((path, _type_name(info.annotation), info.description or ""))
            if sub is not None:
                rows.extend((f"{path}.N.{p}", t, d) for p, t, d in fields(sub))
    return rows


KNOWN_PATHS = frozenset(p for p, _, _ in fields())
_PREFIXES = frozenset(".".join(p.split(".")[:i]) for p in KNOWN_PATHS for i in range(1, p.count(".") + 1))


def is_known_path(path: str) -> bool:
    """True when a `var` path names something in the context (or inside an open-ended field)."""
    if path == "" or path in KNOWN_PATHS or path in _PREFIXES:
        return True
    parts = path.split(".")
    generic = ".".join("N" if p.isdigit() else p for p in parts)
    if generic in KNOWN_PATHS or generic in _PREFIXES:
        return True
    return any(path.startswith(f"{root}.") for root in OPEN_ENDED)


def render_reference() -> str:
    """docs/rule-context.md, generated: `convoflow rules context-doc` writes it."""
    lines = [
        "# Rule context reference",
        "",
        "Generated from `engine/rules/context.py` by `convoflow rules context-doc`; do not edit by hand.",
        "",
        'A rule\'s `if` reads these paths with `{"var": "path"}`. Times are ISO 8601 strings;',
        "durations are business minutes computed before evaluation. `N` stands for a list index.",
        "Anything below `customer.custom.` is accepted (CRM custom fields).",
        "",
        "Templates read the same paths as `{path}` placeholders, and so do a `notify` message, an",
        "`add_note` text and an `update_crm` text value. A date-time renders for the reader, in",
        "the template's language and the conversation calendar's time zone: `{business_hours.next_open}`",
        'gives "25.11.2026, 08:00" in German, "Nov 25, 2026, 8:00 AM" in English; `|date` or `|time`',
        "after the path keeps one part (`{business_hours.next_open|time}`), and `|iso` gives ISO 8601 in "
        'UTC for a machine (`update_crm: {field: last_contact, value: "{event.time|iso}"}`).',
        "",
        "A rule's `on` names the events it decides on, of these: "
        + ", ".join(f"`{event.value}`" for event in EventType)
        + ".",
        "",
        "| path | type | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{p}` | {t} | {d} |" for p, t, d in fields()]
    lines += [
        "",
        "## Helpdesk operators",
        "",
        "| operator | meaning | example |",
        "|---|---|---|",
        "| `contains_any` | case-insensitive (NFKC): does the text (or any string of a list) contain any "
        "keyword | "
        '`{"contains_any": [{"var": "message.text"}, ["invoice", "refund"]]}` |',
        "| `matches` | case-insensitive regular-expression search, RE2 syntax (linear time) | "
        '`{"matches": [{"var": "message.text"}, "order\\\\s*#?\\\\d{6}"]}` |',
        "",
    ]
    return "\n".join(lines)
