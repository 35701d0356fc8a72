"""A subscription's delivery attempts as GET /v1/subscriptions/{id}/deliveries lists them.

event_deliveries.py writes one row per try (`finish`); this reads them back in time order, paged by
position, so an integrator can see what their receiver answered and when the next try comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.schema import delivery_attempts


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One try, as GET /v1/subscriptions/{id}/deliveries shows it."""

    conversation_id: str
    sequence: int
    attempt: int
    event_id: str
    type: str
    at: datetime
    status_code: int | None
    error: str | None
    latency_ms: int
    next_retry_at: datetime | None

    def position(self) -> list[str]:
        """Where a page ends: strings (what a cursor holds), numbers zero-padded to sort as numbers."""
        return [self.at.isoformat(), self.conversation_id, f"{self.sequence:010d}", f"{self.attempt:010d}"]

    def shown(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "sequence": self.sequence,
            "attempt": self.attempt,
            "event_id": self.event_id,
            "type": self.type,
            "at": self.at.isoformat(),
            "status_code": self.status_code,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "next_retry_at": self.next_retry_at.isoformat() if self.next_retry_at else None,
        }


async def attempts_of(
    database: AsyncEngine,
    subscription_id: str,
    *,
    after: list[Any] | None,
    limit: int,
    conversation_id: str | None = None,
) -> list[Attempt]:
    """The subscription's attempts in time order, from just after the position `after`."""
    a = delivery_attempts.c
    query = select(delivery_attempts).where(a.subscription_id == subscription_id)
    if conversation_id is not None:
        query = query.where(a.conversation_id == conversation_id)
    if after is not None:
        query = query.where(a.at >= datetime.fromisoformat(after[0]))
    # Attempts at the very same instant as the cursor's are few: filtered below by full position.
    query = query.order_by(a.at, a.conversation_id, a.sequence, a.attempt).limit(limit + 1_000)
    async with database.connect() as connection:
        rows = (await connection.execute(query)).all()
    found = []
    for row in rows:
        attempt = Attempt(
            conversation_id=row.conversation_id,
            sequence=row.sequence,
            attempt=row.attempt,
            event_id=row.event_id,
            type=row.type,
            at=row.at,
            status_code=row.status_code,
            error=row.error,
            latency_ms=row.latency_ms,
            next_retry_at=row.next_retry_at,
        )
        if after is None or attempt.position() > after:
            found.append(attempt)
        if len(found) > limit:
            break
    return found
