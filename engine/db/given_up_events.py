"""The events a subscription gave up delivering, oldest conversation first: what to redeliver.

A delivery that kept failing past its retry hours is given up, the deliveries after it go on, and the
subscription is `active` again as soon as another conversation's event gets through: the receiver
saw a gap in one conversation's sequence, and finding the event meant paging every attempt of the
subscription (the log line leaves the conversation out). This lists them, each with its last
attempt, so `POST .../redeliver?conversation_id=..&from_sequence=..` can be aimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.event_deliveries import FAILED
from engine.db.schema import delivery_attempts, event_deliveries


@dataclass(frozen=True, kw_only=True)
class GivenUp:
    conversation_id: str
    sequence: int
    event_id: str
    type: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None

    def position(self) -> list[str]:
        """Where a page ends (a cursor's strings; the sequence zero-padded to sort as a number)."""
        return [self.conversation_id, f"{self.sequence:010d}"]

    def shown(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "sequence": self.sequence,
            "event_id": self.event_id,
            "type": self.type,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat(),
            "last_attempt_at": None if self.last_attempt_at is None else self.last_attempt_at.isoformat(),
            "last_status_code": self.last_status_code,
            "last_error": self.last_error,
        }


async def given_up(
    database: AsyncEngine,
    subscription_id: str,
    *,
    after: list[str] | None,
    limit: int,
    conversation_id: str | None = None,
) -> list[GivenUp]:
    """Up to `limit` + 1 given-up events after the position `after`, by conversation and sequence."""
    d, a = event_deliveries.c, delivery_attempts.c
    last = and_(
        a.subscription_id == d.subscription_id,
        a.conversation_id == d.conversation_id,
        a.sequence == d.sequence,
        a.attempt == d.attempts,
    )
    query = (
        select(
            d.conversation_id,
            d.sequence,
            d.event_id,
            d.type,
            d.attempts,
            d.created_at,
            a.at,
            a.status_code,
            a.error,
        )
        .select_from(event_deliveries.outerjoin(delivery_attempts, last))
        .where(d.subscription_id == subscription_id, d.state == FAILED)
    )
    if conversation_id is not None:
        query = query.where(d.conversation_id == conversation_id)
    if after is not None:
        conversation, sequence = after[0], int(after[1])
        query = query.where(
            or_(
                d.conversation_id > conversation,
                and_(d.conversation_id == conversation, d.sequence > sequence),
            )
        )
    query = query.order_by(d.conversation_id, d.sequence).limit(limit + 1)
    async with database.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [
        GivenUp(
            conversation_id=row.conversation_id,
            sequence=row.sequence,
            event_id=row.event_id,
            type=row.type,
            attempts=row.attempts,
            created_at=row.created_at,
            last_attempt_at=row.at,
            last_status_code=row.status_code,
            last_error=row.error,
        )
        for row in rows
    ]
