"""Idempotency keys in the control-plane database (table idempotency_keys).

A POST sent with an `Idempotency-Key` first claims the key (a row without a status), runs, then
stores its answer in the row, or gives the claim up when its answer must not be final (a 5xx: the
retry has to run again). Claiming is one insert decided by the primary key, so two replicas racing
for one key cannot both run the request. A claim whose request died with its process (no answer,
no release) is taken over once its lease has run out, so a crash blocks a key for the lease only.
Rows are kept `RETENTION`; expired rows are deleted by the next claim (no sweeper to run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import insert_new
from engine.db.schema import idempotency_keys

RETENTION = timedelta(hours=24)


@dataclass(frozen=True, kw_only=True)
class KeySlot:
    """Whose key: the tenant, the API key (its SHA-256) and the Idempotency-Key (its SHA-256)."""

    tenant: str
    key_scope: str
    key_hash: str


@dataclass(frozen=True, kw_only=True)
class StoredAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, kw_only=True)
class Claim:
    """What a claim found: `owned` (run the request), a `stored` answer, or a key that is `busy`
    (another request runs with it) or `reused` (it came with a different request)."""

    owned: bool = False
    busy: bool = False
    reused: bool = False
    stored: StoredAnswer | None = None
    free_within: timedelta | None = None
    """A busy key's longest wait: its claim's lease left (a request whose API stopped before it
    answered holds the key until then)."""


class IdempotencyKeys:
    @property
    def lease(self) -> timedelta:
        return self._lease

    def __init__(self, engine: AsyncEngine, lease: timedelta) -> None:
        self._engine = engine
        self._lease = lease

    async def claim(self, slot: KeySlot, fingerprint: str, now: datetime | None = None) -> Claim:
        now = now or datetime.now(UTC)
        c = idempotency_keys.c
        async with self._engine.begin() as db:
            await db.execute(delete(idempotency_keys).where(c.expires_at < now))
            values = {
                "tenant": slot.tenant,
                "key_scope": slot.key_scope,
                "key_hash": slot.key_hash,
                "fingerprint": fingerprint,
                "claimed_at": now,
                "expires_at": now + RETENTION,
            }
            if await insert_new(db, idempotency_keys, values):
                return Claim(owned=True)
            row = (
                await db.execute(
                    select(c.fingerprint, c.status, c.headers, c.body, c.claimed_at).where(_is(slot))
                )
            ).first()
            if row is None:  # given up between our insert and our read: the caller may simply retry
                return Claim(busy=True)
            if row.fingerprint != fingerprint:
                return Claim(reused=True)
            if row.status is not None:
                return Claim(stored=StoredAnswer(status=row.status, headers=dict(row.headers), body=row.body))
            if row.claimed_at > now - self._lease:
                return Claim(busy=True, free_within=row.claimed_at + self._lease - now)
            taken = await db.execute(
                update(idempotency_keys)
                .where(_is(slot), c.status.is_(None), c.claimed_at == row.claimed_at)
                .values(claimed_at=now, expires_at=now + RETENTION)
            )
            return Claim(owned=True) if taken.rowcount == 1 else Claim(busy=True)

    async def store(self, slot: KeySlot, answer: StoredAnswer) -> None:
        c = idempotency_keys.c
        async with self._engine.begin() as db:
            await db.execute(
                update(idempotency_keys)
                .where(_is(slot), c.status.is_(None))
                .values(status=answer.status, headers=answer.headers, body=answer.body)
            )

    async def give_up(self, slot: KeySlot) -> None:
        """Forget an unanswered claim, so the next request with the key runs."""
        async with self._engine.begin() as db:
            await db.execute(delete(idempotency_keys).where(_is(slot), idempotency_keys.c.status.is_(None)))

    async def running(self, tenant: str) -> int:
        """How many of the tenant's keys are claimed by a running request (tests watch for one)."""
        c = idempotency_keys.c
        async with self._engine.connect() as db:
            rows = await db.execute(select(c.key_hash).where(c.tenant == tenant, c.status.is_(None)))
            return len(rows.all())


def _is(slot: KeySlot):
    c = idempotency_keys.c
    return and_(c.tenant == slot.tenant, c.key_scope == slot.key_scope, c.key_hash == slot.key_hash)
