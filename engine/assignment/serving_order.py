"""The order a team's queue is served in: priority, then the earliest SLA breach, then the longest
wait (the conversation's id last, so the order is total and replays the same)."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.contracts.assignment import Waiting

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def serving_order(waiting: Waiting) -> tuple[int, datetime, datetime, str]:
    r = waiting.request
    return (
        PRIORITY_RANK.get(r.priority, 2),
        r.breach_at or FAR_FUTURE,
        waiting.waiting_since,
        r.conversation_id,
    )
