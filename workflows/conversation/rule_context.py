"""The rule context of one event, built from the conversation's state: what rules can read.

A pure function of state and event (time comes in as an argument), so the workflow stays
deterministic and the mapping from state to the documented context (engine/rules/context.py) lives
in one place. Business-time fields are filled in later by the `decide` activity, on the calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.contracts.conversation import ConversationState, InboundMessage

NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "esq", "esq."})
"""What follows a comma in "John Smith, Jr.": a suffix, not a first name."""
TITLES = frozenset(
    {
        "dr",
        "dr.",
        "prof",
        "prof.",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "mme",
        "mlle",
        "m.",
        "herr",
        "frau",
    }
)
"""Before the first name in "Müller, Dr. Hans"."""


def first_name_of(name: str) -> str | None:
    """The name to greet: "Doe, John" (a directory's last-comma-first) is John, "Müller, Dr. Hans"
    Hans; "John Smith, Jr." and "Jane Doe, MBA" (a suffix, a credential: capitals or dots) the first
    word. Workflow code (LAST_COMMA_FIRST_PATCH): a change to what it answers needs a new patch."""
    before, comma, after = name.partition(",")
    given = [w for w in after.split(",")[0].split() if w.lower() not in TITLES]
    if comma and given and 1 <= len(before.split()) <= 2 and _is_a_name(given[0]):
        return given[0]
    return first_word(name)


def first_word(name: str) -> str | None:
    """The name's first word (None for a name of spaces only: indexing it failed the workflow task)."""
    words = name.split()
    return words[0] if words else None


def _is_a_name(word: str) -> bool:
    return word.lower() not in NAME_SUFFIXES and "." not in word and not (word.isupper() and len(word) > 1)


def build_context(
    state: ConversationState,
    event: str,
    now: datetime,
    depth: int = 0,
    message: InboundMessage | None = None,
    extra: dict[str, Any] | None = None,
    first_name: str | None = None,
) -> dict[str, Any]:
    """`first_name`: the greeting's name when the workflow reads it otherwise than the first word."""
    s = state
    extra = extra or {}
    name = s.customer.name
    address = s.customer.address
    context: dict[str, Any] = {
        "event": {"type": event, "time": now.isoformat(), "depth": depth, **extra.get("event", {})},
        "conversation": {
            "id": s.external_id,
            "channel": s.channel.value,
            "status": s.status.value,
            "priority": s.priority,
            "tags": list(s.tags),
            "team": s.team,
            "assignee": s.assignee,
            "language": s.language,
            "customer_messages": s.customer_messages,
            "agent_messages": s.agent_messages,
            "reopened": s.reopened,
            "escalation_level": s.escalation_level,
            "created_at": s.created_at.isoformat(),
            "first_agent_reply_at": _iso(s.first_agent_reply_at),
            "last_customer_message_at": _iso(s.last_customer_message_at),
        },
        "customer": {
            "name": name,
            "first_name": first_name or (first_word(name) if name else None),
            "email": address if "@" in address else None,
            "phone": address if address.startswith("+") else None,
            "language": s.language,
        },
        "sla": {"policy": s.sla.policy},
    }
    if s.customer_profile:  # what the CRM knows wins over what the channel said
        known = {k: v for k, v in s.customer_profile.items() if v is not None}
        context["customer"] |= {"known": True, **known}
    if message is not None:
        context["message"] = {
            "text": message.text,
            "quoted": message.quoted,
            "subject": message.subject,
            "from": message.sender.address,
            "channel_message_id": message.message_id,
            "auto_submitted": message.auto_submitted or s.customer_is_automated,
            "attachments": [a.model_dump() for a in message.attachments],
        }
    if "survey" in extra:
        context["survey"] = extra["survey"]
    if (a := s.assignment) is not None:  # what the assignment desk last answered (issue 16)
        context["assignee"] = {
            "id": s.assignee,
            "presence": a.agent_presence if s.assignee else None,
            "load": a.agent_load if s.assignee else None,
            "capacity": a.agent_capacity if s.assignee else None,
        }
        context["team"] = {
            "name": s.team,
            "queue": {"queued": a.queued, "position": a.queue_position, "length": a.queue_length},
        }
    return context


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
