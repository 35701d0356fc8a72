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
`delivered` row reports a duplicate. The usual holder is the same send cut short: a local attempt
gets 2 s (workflows/conversation/options.py), and `deliver_message` lets its claim, send and settle
finish in the background (activities/channels.py), so its retry waits here rather than sending again.

Concurrent sends claim together and settle together, one transaction each for all of them
(engine/db/group_commit.py); each send still gets its own verdict.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.group_commit import GroupCommit
from engine.db.inserts import insert_or_ignore
from engine.db.schema import delivery_ledger

# = DELIVERY's start_to_close_timeout (workflows/conversation/options.py): past it, the attempt that
# claimed is one Temporal no longer waits for, and its retry must be able to send.
CLAIM_LEASE = timedelta(seconds=30)
SETTLE_WITHIN_LEASE = 0.8
"""How much of the lease a settle that fails keeps trying (the rest: margin for clocks and commits)."""
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


class ClaimAsk(NamedTuple):
    key: str
    tenant: str
    adapter: str


class LedgerUnavailable(Exception):
    """The ledger's database did not answer (down, restarting): the send's channel is not at fault,
    so it is not counted as a delivery failure; the activity's retry tries again. Its text names the
    error's kind only (a unix socket's "No such file or directory" read as a missing local file)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"the delivery ledger's database did not answer ({type(cause).__name__})")


class DeliveryLedger:
    def __init__(self, database: AsyncEngine, lease: timedelta = CLAIM_LEASE) -> None:
        self._database = database
        self._lease = lease
        self._claims = GroupCommit(self._claim_many)
        self._settles = GroupCommit(self._settle_many)

    async def claim(self, key: str, tenant: str, adapter: str) -> bool:
        """True when this caller may send `key`: it claimed it, or took over a stale claim.

        False when the key is delivered; `ClaimHeld` while another attempt's claim is in its lease.
        """
        verdict = await self._claims.write(ClaimAsk(key, tenant, adapter))
        if verdict is None:
            raise ClaimHeld()  # claimed and live, or released just now: the retry decides
        return verdict

    async def _claim_many(self, asks: Sequence[ClaimAsk]) -> list[bool | None]:
        """Each ask's verdict: True (send), False (delivered already), None (held by another)."""
        now = datetime.now(UTC)
        c = delivery_ledger.c
        async with self._database.begin() as connection:
            rows = [
                {
                    "idempotency_key": a.key,
                    "tenant": a.tenant,
                    "adapter": a.adapter,
                    "delivered_at": now,
                    "state": CLAIMED,
                }
                for a in sorted(asks)  # one order for every writer: two racing batches cannot deadlock
            ]
            won = set(
                (
                    await connection.execute(
                        insert_or_ignore(connection, delivery_ledger).returning(c.idempotency_key), rows
                    )
                ).scalars()
            )
            taken = [a for a in asks if a.key not in won]
            states: dict[str, str | None] = {}
            for ask in taken:  # rare: a retry, or a race; the same statements as a lone claim
                stale = await connection.execute(
                    update(delivery_ledger)
                    .where(
                        c.idempotency_key == ask.key, c.state == CLAIMED, c.delivered_at < now - self._lease
                    )
                    .values(delivered_at=now, adapter=ask.adapter)
                )
                if stale.rowcount == 1:
                    won.add(ask.key)
                else:
                    states[ask.key] = await connection.scalar(
                        select(c.state).where(c.idempotency_key == ask.key)
                    )
        verdicts: list[bool | None] = []
        for ask in asks:
            if ask.key in won:
                won.discard(ask.key)  # a key asked twice at once is sent by its first asker only
                verdicts.append(True)
            else:
                verdicts.append(False if states.get(ask.key, CLAIMED) == DELIVERED else None)
        return verdicts

    async def settle(self, key: str, claimed_at: float | None = None) -> None:
        """The send went out: the key is delivered for good.

        Tried again while the database does not answer, for most of the lease: an attempt that
        raised here left its claim to expire, and the activity's retry sent the message a second time
        (a database restart sent acknowledgements twice). While the database is down no other attempt
        can claim the key either, so waiting here is what keeps the send single; past the lease it
        raises, and the retry takes the expired claim over (at least once, as above). `claimed_at`:
        when (time.monotonic) the claim was made, from which its lease runs; now when not given."""
        since = time.monotonic() if claimed_at is None else claimed_at
        deadline = since + self._lease.total_seconds() * SETTLE_WITHIN_LEASE
        wait = 0.25
        while True:
            try:
                await self._settles.write(key)
                return
            except Exception:  # the database: down, restarting, refusing connections
                if time.monotonic() + wait > deadline:
                    raise
                await asyncio.sleep(wait)
                wait = min(wait * 2, 4.0)

    async def _settle_many(self, keys: Sequence[str]) -> list[None]:
        async with self._database.begin() as connection:
            await connection.execute(
                update(delivery_ledger)
                .where(delivery_ledger.c.idempotency_key.in_(sorted(set(keys))))
                .values(state=DELIVERED, delivered_at=datetime.now(UTC))
            )
        return [None] * len(keys)

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
