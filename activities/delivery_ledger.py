"""Which idempotency keys an adapter has sent, in the control-plane database (table delivery_ledger).

A send first *claims* its key: an INSERT that the table's primary key lets exactly one worker win,
however many race (a retried activity still running on a worker Temporal gave up on, two workers,
a replayed event). The loser reports `delivered=False` without sending. The winner sends, then
settles the row as delivered; if the send fails it releases the claim so the activity's retry can
claim again.

A worker that dies between claim and send (or between send and settle) leaves a `claimed` row.
We choose at-least-once to the far side over losing the message: a claim older than the lease
(the delivery activity's start-to-close timeout, after which Temporal has given up on that attempt
and retries) is taken over by the next attempt, again decided by one conditional UPDATE, and sent
again with the same key. The far side dedups by that key (`Idempotency-Key` / `webhook-id` for
HTTP, a Message-ID derived from it for email), so a second send is harmless where a lost one is not.

A claim still inside its lease is not a duplicate yet: its holder may have died before sending
(deliveries are local activities, retried on another worker after the workflow task times out,
well inside the lease). The attempt raises `ClaimHeld`, retryable, so it comes back until the key is
delivered (then a duplicate, not sent) or the claim is stale (taken over and sent). Only a
`delivered` row reports a duplicate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import insert_new
from engine.db.schema import delivery_ledger

# = DELIVERY's start_to_close_timeout (workflows/conversation/options.py): past it, the attempt that
# claimed is one Temporal no longer waits for, and its retry must be able to send.
CLAIM_LEASE = timedelta(seconds=30)
CLAIMED = "claimed"
DELIVERED = "delivered"


class ClaimHeld(Exception):
    """Another attempt claimed this key within the lease and has not settled it: retry later.

    Its text names no key: keys carry the conversation id, which may be a phone number, and the
    worker logs every failed attempt.
    """

    def __init__(self) -> None:
        super().__init__(
            "another attempt holds this send's claim; retrying until it settles or its lease ends"
        )


class DeliveryLedger:
    def __init__(self, database: AsyncEngine, lease: timedelta = CLAIM_LEASE) -> None:
        self._database = database
        self._lease = lease

    async def claim(self, key: str, tenant: str, adapter: str) -> bool:
        """True when this caller may send `key`: it claimed it, or took over a stale claim.

        False when the key is delivered; `ClaimHeld` while another attempt's claim is in its lease.
        """
        now = datetime.now(UTC)
        async with self._database.begin() as connection:
            values = {"idempotency_key": key, "tenant": tenant, "adapter": adapter}
            if await insert_new(
                connection, delivery_ledger, {**values, "delivered_at": now, "state": CLAIMED}
            ):
                return True
            stale = await connection.execute(
                update(delivery_ledger)
                .where(
                    delivery_ledger.c.idempotency_key == key,
                    delivery_ledger.c.state == CLAIMED,
                    delivery_ledger.c.delivered_at < now - self._lease,
                )
                .values(delivered_at=now, adapter=adapter)
            )
            if stale.rowcount == 1:
                return True
            state = await connection.scalar(
                select(delivery_ledger.c.state).where(delivery_ledger.c.idempotency_key == key)
            )
        if state == DELIVERED:
            return False
        raise ClaimHeld()  # claimed and live, or released just now: the retry decides

    async def settle(self, key: str) -> None:
        """The send went out: the key is delivered for good."""
        async with self._database.begin() as connection:
            await connection.execute(
                update(delivery_ledger)
                .where(delivery_ledger.c.idempotency_key == key)
                .values(state=DELIVERED, delivered_at=datetime.now(UTC))
            )

    async def release(self, key: str) -> None:
        """The send failed: give the key back so the activity's retry can claim it."""
        async with self._database.begin() as connection:
            await connection.execute(
                delete(delivery_ledger).where(
                    delivery_ledger.c.idempotency_key == key, delivery_ledger.c.state == CLAIMED
                )
            )

    async def state(self, key: str) -> str | None:
        """claimed, delivered, or None (for tests and the CLI)."""
        async with self._database.connect() as connection:
            row = (
                await connection.execute(
                    delivery_ledger.select().where(delivery_ledger.c.idempotency_key == key)
                )
            ).first()
        return None if row is None else row.state
