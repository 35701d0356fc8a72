"""The values an enumerated context field can hold, where the workflow fills it from an enumeration.

`conversation.channel` and `conversation.status` are plain strings in the rule context (a rule may
compare them with anything), but the workflow fills them from its `Channel` and `Status` enums, and
`event.type` is the event being decided on: a comparison with any other value is a typo that
silently never matches. Only fields whose every writer is such an enumeration are listed here.
`rules check` reads them for conditions, the validator for test cases' contexts.
"""

from __future__ import annotations

from typing import Any

from engine.contracts.assignment import PRESENCES
from engine.contracts.conversation import Channel, Status
from engine.rules.context import Priority

STATUSES = tuple(s.value for s in Status)

DOMAINS: dict[str, tuple[Any, ...]] = {
    "conversation.channel": tuple(c.value for c in Channel),
    "conversation.status": STATUSES,
    "conversation.priority": tuple(p.value for p in Priority),
    "event.previous_status": (*STATUSES, None),
    "assignee.presence": (*PRESENCES, None),
    "message.sentiment_label": ("negative", "neutral", "positive", None),
}
"""Context path -> every value it can hold (None: the field may be empty)."""


def domain(path: str, event: str) -> tuple[Any, ...] | None:
    """The values `path` can hold when deciding on `event`, or None when it is not enumerated."""
    if path == "event.type":
        return (event,)
    return DOMAINS.get(path)


def shown(values: tuple[Any, ...]) -> str:
    """`email, chat, ...` for messages (an empty field shown as `empty`)."""
    return ", ".join("empty" if v is None else str(v) for v in values)
