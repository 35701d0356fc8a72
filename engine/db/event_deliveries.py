"""The subscriptions' delivery queue (event_deliveries) and its attempts (delivery_attempts).

- `add`: the conversation's local activity fans its events out to the tenant's subscriptions that
  want them, in one transaction, numbering each (subscription, conversation) from 1 without gaps.
  An event id already queued for a subscription is skipped, so a retried activity, or events the
  workflow sends again after an outage, are queued once.
- `claim`: a dispatcher takes due rows that head their (subscription, conversation) line: a pending
  row with a lower sequence blocks the ones after it, so events arrive in order per conversation and
  a failing one holds back only its own conversation. It takes some of one tenant's at a time
  (ranked per tenant by when they are due, the tenants in turn), so a tenant whose receivers hang
  cannot fill every send.
  PostgreSQL skips rows another dispatcher has locked (FOR UPDATE SKIP LOCKED); on both databases a
  conditional UPDATE of `claimed_until` decides, so two worker hosts never send one row at once while
  its lease runs.
- `finish`: one attempt's outcome, and the row delivered, rescheduled or given up.

What an integrator reads of the attempts is in delivery_attempts.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.contracts.events import ConversationEvent
from engine.db.schema import delivery_attempts, event_deliveries, subscriptions
from engine.db.subscriptions import PENDING, Subscription, read_subscription

DELIVERED, FAILED = "delivered", "failed"
ERROR_CHARS = 300


def _queued(
    sub_id: str, tenant: str, event: ConversationEvent, sequence: int, now: datetime
) -> dict[str, Any]:
    return {
        "subscription_id": sub_id,
        "conversation_id": event.conversation_id,
        "sequence": sequence,
        "tenant": tenant,
        "event_id": event.event_id,
        "type": event.type,
        "body": event.body(sequence, sub_id),
        "created_at": now,
        "state": PENDING,
        "attempts": 0,
        "window_starts_at": now,
        "next_attempt_at": now,
    }


@dataclass(frozen=True, kw_only=True)
class Claimed:
    """A delivery a dispatcher holds until `claimed_until`, with its subscription."""

    subscription: Subscription
    conversation_id: str
    sequence: int
    event_id: str
    type: str
    body: dict[str, Any]
    attempts: int
    window_starts_at: datetime


@dataclass(frozen=True, kw_only=True)
class Finished:
    """One attempt's outcome, to record."""

    claimed: Claimed
    at: datetime
    delivered: bool
    status_code: int | None
    error: str | None
    latency_ms: int
    next_retry_at: datetime | None
    """When to try again; None when delivered or given up."""
    window_starts_at: datetime
    """When its retry hours began: its first try (the dispatcher decides it)."""


async def queue_events(
    connection: AsyncConnection, batches: Sequence[Sequence[ConversationEvent]], now: datetime
) -> list[int]:
    """Within the caller's transaction: queue each batch's events once for every subscription of its
    tenant that wants their type; how many deliveries each batch queued. A few statements per
    subscription, whatever the number of batches."""
    added = [0] * len(batches)
    owned = [(e, i) for i, batch in enumerate(batches) for e in batch]
    if not owned:
        return added
    d = event_deliveries.c
    tenants = sorted({e.tenant for e, _ in owned})
    subs = (
        await connection.execute(
            select(subscriptions.c.subscription_id, subscriptions.c.tenant, subscriptions.c.events)
            .where(subscriptions.c.tenant.in_(tenants))
            .order_by(subscriptions.c.subscription_id)
        )
    ).all()
    rows: list[dict[str, Any]] = []
    for sub_id, tenant, wanted in subs:
        mine = [(e, i) for e, i in owned if e.tenant == tenant and e.type in wanted]
        if not mine:
            continue
        known = set(
            (
                await connection.execute(
                    select(d.event_id).where(
                        d.subscription_id == sub_id,
                        d.event_id.in_(sorted({e.event_id for e, _ in mine})),
                    )
                )
            ).scalars()
        )
        latest = await connection.execute(
            select(d.conversation_id, func.max(d.sequence))
            .where(
                d.subscription_id == sub_id,
                d.conversation_id.in_(sorted({e.conversation_id for e, _ in mine})),
            )
            .group_by(d.conversation_id)
        )
        last: dict[str, int] = {conversation: sequence for conversation, sequence in latest}
        for event, caller in mine:
            if event.event_id in known:
                continue
            known.add(event.event_id)
            sequence = last[event.conversation_id] = last.get(event.conversation_id, 0) + 1
            rows.append(_queued(sub_id, tenant, event, sequence, now))
            added[caller] += 1
    if rows:
        await connection.execute(insert(event_deliveries), rows)  # cached
    return added


class EventDeliveries:
    def __init__(self, database: AsyncEngine) -> None:
        self._database = database

    async def add(self, events: Sequence[ConversationEvent], now: datetime) -> int:
        """Queue each event once for every subscription of its tenant that wants its type."""
        return (await self.add_many([events], now))[0]

    async def add_many(self, batches: Sequence[Sequence[ConversationEvent]], now: datetime) -> list[int]:
        """`add` for several callers' events in one transaction (engine/db/group_commit.py): how many
        deliveries each batch queued."""
        if not any(batches):
            return [0] * len(batches)
        async with self._database.begin() as connection:
            return await queue_events(connection, batches, now)

    async def claim(
        self,
        now: datetime,
        lease: timedelta,
        limit: int,
        *,
        per_tenant: int,
        busy: Mapping[str, int] | None = None,
    ) -> list[Claimed]:
        """Due deliveries that head their conversation's line, each now held by this caller: at most
        `per_tenant` of one tenant's with the `busy` ones the caller is still sending (by tenant), so
        a tenant whose receivers hang holds some of the caller's sends, never all, however many
        subscriptions it has; and the tenants' due rows taken in turn (each tenant's first, then
        each one's second, ...), so one tenant's backlog does not go first."""
        d = event_deliveries.c
        earlier = event_deliveries.alias("earlier")
        blocked = (
            select(earlier.c.sequence)
            .where(
                earlier.c.subscription_id == d.subscription_id,
                earlier.c.conversation_id == d.conversation_id,
                earlier.c.sequence < d.sequence,
                earlier.c.state == PENDING,
            )
            .exists()
        )
        free = or_(d.claimed_until.is_(None), d.claimed_until < now)
        paused = (  # a paused subscription's events wait, in order, until it resumes
            select(subscriptions.c.subscription_id)
            .where(
                subscriptions.c.subscription_id == d.subscription_id, subscriptions.c.paused_at.is_not(None)
            )
            .exists()
        )
        due = (
            select(
                d.subscription_id,
                d.conversation_id,
                d.sequence,
                func.row_number()
                .over(partition_by=d.tenant, order_by=(d.next_attempt_at, d.sequence))
                .label("rank"),
            )
            .where(d.state == PENDING, d.next_attempt_at <= now, free, ~blocked, ~paused)
            .subquery("due")
        )
        sending = case(dict(busy), value=d.tenant, else_=0) if busy else literal(0)
        query = (
            select(event_deliveries)
            .join(
                due,
                and_(
                    d.subscription_id == due.c.subscription_id,
                    d.conversation_id == due.c.conversation_id,
                    d.sequence == due.c.sequence,
                ),
            )
            .where(due.c.rank + sending <= per_tenant)
            .order_by(due.c.rank, d.next_attempt_at)
            .limit(limit)
        )
        taken: list[Any] = []
        async with self._database.begin() as connection:
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=event_deliveries)
            for row in (await connection.execute(query)).all():
                won = await connection.execute(
                    update(event_deliveries)
                    .where(
                        d.subscription_id == row.subscription_id,
                        d.conversation_id == row.conversation_id,
                        d.sequence == row.sequence,
                        d.state == PENDING,
                        free,
                    )
                    .values(claimed_until=now + lease)
                )
                if won.rowcount == 1:
                    taken.append(row)
            if not taken:
                return []
            subs = {
                row.subscription_id: read_subscription(row)
                for row in await connection.execute(
                    select(subscriptions).where(
                        subscriptions.c.subscription_id.in_({r.subscription_id for r in taken})
                    )
                )
            }
        return [
            Claimed(
                subscription=subs[row.subscription_id],
                conversation_id=row.conversation_id,
                sequence=row.sequence,
                event_id=row.event_id,
                type=row.type,
                body=row.body,
                attempts=row.attempts,
                window_starts_at=row.window_starts_at,
            )
            for row in taken
            if row.subscription_id in subs
        ]

    async def finish(self, done: Sequence[Finished]) -> None:
        """Record the attempts of a batch in one transaction; each row becomes delivered, pending
        again at its `next_retry_at`, or failed (given up) when neither."""
        d = event_deliveries.c
        async with self._database.begin() as connection:
            for one in done:
                claimed = one.claimed
                if one.delivered:
                    values: dict[str, Any] = {"state": DELIVERED, "delivered_at": one.at}
                elif one.next_retry_at is not None:
                    values = {"next_attempt_at": one.next_retry_at}
                else:
                    values = {"state": FAILED}
                if not claimed.attempts:  # its retry hours count from its first try
                    values["window_starts_at"] = one.window_starts_at
                await connection.execute(
                    update(event_deliveries)
                    .where(
                        d.subscription_id == claimed.subscription.subscription_id,
                        d.conversation_id == claimed.conversation_id,
                        d.sequence == claimed.sequence,
                    )
                    .values(attempts=claimed.attempts + 1, claimed_until=None, **values)
                )
            await connection.execute(
                insert(delivery_attempts).values(
                    [
                        {
                            "subscription_id": one.claimed.subscription.subscription_id,
                            "conversation_id": one.claimed.conversation_id,
                            "sequence": one.claimed.sequence,
                            "attempt": one.claimed.attempts + 1,
                            "tenant": one.claimed.subscription.tenant,
                            "event_id": one.claimed.event_id,
                            "type": one.claimed.type,
                            "at": one.at,
                            "status_code": one.status_code,
                            "error": None if one.error is None else one.error[:ERROR_CHARS],
                            "latency_ms": one.latency_ms,
                            "next_retry_at": one.next_retry_at,
                        }
                        for one in done
                    ]
                )
            )

    async def redeliver(
        self, subscription_id: str, from_sequence: int, conversation_id: str | None, now: datetime
    ) -> int:
        """Queue again every event numbered from `from_sequence` (of one conversation, or of all),
        with a fresh retry window; returns how many."""
        d = event_deliveries.c
        where = [d.subscription_id == subscription_id, d.sequence >= from_sequence]
        if conversation_id is not None:
            where.append(d.conversation_id == conversation_id)
        async with self._database.begin() as connection:
            changed = await connection.execute(
                update(event_deliveries)
                .where(and_(*where))
                .values(state=PENDING, next_attempt_at=now, window_starts_at=now)
            )
        return int(changed.rowcount)

    async def kept_sequences(
        self, subscription_id: str, conversation_id: str | None
    ) -> tuple[int, int] | None:
        """The lowest and highest sequence the subscription keeps of the conversation (of any, without
        one); None when it keeps none (never queued, or purged after the subscription's retention)."""
        d = event_deliveries.c
        where = [d.subscription_id == subscription_id]
        if conversation_id is not None:
            where.append(d.conversation_id == conversation_id)
        async with self._database.connect() as connection:
            found = (
                await connection.execute(select(func.min(d.sequence), func.max(d.sequence)).where(*where))
            ).one()
        return None if found[0] is None else (int(found[0]), int(found[1]))

    async def purge(self, before: datetime) -> int:
        """Forget deliveries done (delivered or given up) and attempts made before `before`."""
        d, a = event_deliveries.c, delivery_attempts.c
        async with self._database.begin() as connection:
            gone = await connection.execute(
                delete(event_deliveries).where(d.state != PENDING, d.created_at < before)
            )
            await connection.execute(delete(delivery_attempts).where(a.at < before))
        return int(gone.rowcount)
