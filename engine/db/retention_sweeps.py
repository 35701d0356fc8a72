"""Each tenant's retention: how long it keeps closed conversations, and when its sweeps run.

The keep time is the tenant's own setting (`convoflow tenant set NAME --retention-days N`,
`PUT /v1/tenant/settings`), each change recorded in `tenant_setting_changes` with who and when, as
four-eyes publishing is: shortening it deletes conversations, so who shortened it must show. Without
it nothing is swept: conversations are kept for ever, as before.

The sweeps run in the workers (engine/service/retention_scheduler.py). A worker claims a due tenant
by moving its `next_at` on in one conditional UPDATE: of several workers, on several hosts, the
database lets one win. A worker that dies mid-sweep leaves its claim to lapse (`lease`), and the next
claim sweeps again (a sweep goes on where one stopped: engine/service/retention.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass
from sqlalchemy import and_, case, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import insert_or_ignore
from engine.db.keys import UnknownTenant
from engine.db.schema import retention_sweeps, tenant_setting_changes, tenants

RETENTION_DAYS = "retention_days"
MAX_KEEP_DAYS = 36_500  # a hundred years: past it, a typo (days taken for hours) rather than a policy


@dataclass(frozen=True, kw_only=True, config=ConfigDict(use_attribute_docstrings=True))
class LastSweep:
    """What the tenant's last sweep did (counts and ids only: no conversation content)."""

    began_at: str
    """ISO instant."""
    ended_at: str | None
    """ISO instant; null while it runs (or when the worker running it stopped)."""
    cutoff: str | None = None
    """Closed conversations idle since before this instant were deleted."""
    deleted: int = 0
    """Conversations deleted (their record: `erasure_id`)."""
    refused: int = 0
    """Conversations that refused to end (active since, a survey waiting); asked again next sweep."""
    erasure_id: str | None = None
    """The record of what was deleted (GET /v1/customers/erasures), null when nothing was."""
    limit_reached: bool = False
    """It stopped at its limit: the next sweep comes at once for the rest."""
    error: str | None = None
    """Why it failed (Temporal or the database did not answer); the next sweep tries again."""


@dataclass(frozen=True, kw_only=True, config=ConfigDict(use_attribute_docstrings=True))
class Retention:
    """How long the tenant keeps closed conversations, and its sweeps."""

    keep_days: int | None
    """Days a closed conversation is kept after its last activity; null: kept for ever (no sweep)."""
    next_sweep_at: str | None
    """When a worker sweeps next (ISO instant); null when conversations are kept for ever."""
    last_sweep: LastSweep | None
    """Null before the first sweep."""


async def retention_of(database: AsyncEngine, tenant: str) -> Retention:
    async with database.connect() as db:
        row = (await db.execute(select(retention_sweeps).where(retention_sweeps.c.tenant == tenant))).first()
    if row is None:
        return Retention(keep_days=None, next_sweep_at=None, last_sweep=None)
    last = None
    if row.last_began_at is not None:
        result = dict(row.last_result or {})
        last = LastSweep(
            began_at=row.last_began_at.isoformat(),
            ended_at=row.last_ended_at and row.last_ended_at.isoformat(),
            **{k: v for k, v in result.items() if k in LastSweep.__dataclass_fields__},
        )
    return Retention(
        keep_days=row.keep_days,
        next_sweep_at=row.next_at.isoformat() if row.keep_days is not None else None,
        last_sweep=last,
    )


async def set_keep_days(
    database: AsyncEngine, tenant: str, keep_days: int | None, *, changed_by: str
) -> int | None:
    """Keep the tenant's closed conversations `keep_days` after their last activity (None: for
    ever), recording the change; the first sweep on the new setting is due at once, unless one runs
    now (it reads the setting again as it goes: `renew`). Returns the setting before."""
    if keep_days is not None and not 1 <= keep_days <= MAX_KEEP_DAYS:
        raise ValueError(f"retention_days: a whole number of days from 1 to {MAX_KEEP_DAYS}, or off")
    now = datetime.now(UTC)
    async with database.begin() as db:
        if (await db.execute(select(tenants.c.tenant).where(tenants.c.tenant == tenant))).first() is None:
            raise UnknownTenant(f"no tenant {tenant!r}: create it with `convoflow tenant create`")
        # Two first settings at once: one row, decided by its key (a read-then-insert was a 500).
        row = {"tenant": tenant, "keep_days": None, "next_at": now}
        await db.execute(insert_or_ignore(db, retention_sweeps), [row])
        c = retention_sweeps.c
        before = (await db.execute(select(c.keep_days).where(c.tenant == tenant))).scalar_one()
        running = and_(c.last_began_at.is_not(None), c.last_ended_at.is_(None), c.next_at > now)
        await db.execute(
            update(retention_sweeps)
            .where(c.tenant == tenant)
            .values(keep_days=keep_days, next_at=case((running, c.next_at), else_=now))
        )
        await db.execute(
            tenant_setting_changes.insert().values(
                tenant=tenant, setting=RETENTION_DAYS, value=keep_days, changed_by=changed_by, changed_at=now
            )
        )
    return before


async def due(database: AsyncEngine, now: datetime, limit: int = 100) -> list[str]:
    """Tenants whose sweep is due, the longest overdue first."""
    query = (
        select(retention_sweeps.c.tenant)
        .where(retention_sweeps.c.keep_days.is_not(None), retention_sweeps.c.next_at <= now)
        .order_by(retention_sweeps.c.next_at)
        .limit(limit)
    )
    async with database.connect() as db:
        return list((await db.execute(query)).scalars())


@dataclass(frozen=True)
class Claim:
    """A worker's right to sweep one tenant now, until its lease runs out (`renew` extends it)."""

    tenant: str
    keep_days: int
    began_at: datetime


async def claim(database: AsyncEngine, tenant: str, now: datetime, lease: timedelta) -> Claim | None:
    """The tenant's sweep for this worker, or None when another claimed it (or it is not due, or off).

    The keep time is read in the claim's transaction: one lengthened just before must not be swept
    with the shorter one."""
    async with database.begin() as db:
        claimed = await db.execute(
            update(retention_sweeps)
            .where(
                retention_sweeps.c.tenant == tenant,
                retention_sweeps.c.keep_days.is_not(None),
                retention_sweeps.c.next_at <= now,
            )
            .values(next_at=now + lease, last_began_at=now, last_ended_at=None, last_result=None)
        )
        if claimed.rowcount != 1:
            return None
        query = select(retention_sweeps.c.keep_days).where(retention_sweeps.c.tenant == tenant)
        keep_days = (await db.execute(query)).scalar_one()
    return Claim(tenant, keep_days, now)


async def renew(database: AsyncEngine, held: Claim, now: datetime, lease: timedelta) -> int | None:
    """The tenant's keep time now, the claim held a lease longer; None when it is off or the claim
    was lost (its lease ran out and another worker took the tenant): the sweep stops."""
    c = retention_sweeps.c
    async with database.begin() as db:
        ours = and_(c.tenant == held.tenant, c.last_began_at == held.began_at, c.last_ended_at.is_(None))
        renewed = await db.execute(update(retention_sweeps).where(ours).values(next_at=now + lease))
        if renewed.rowcount != 1:
            return None
        return (await db.execute(select(c.keep_days).where(c.tenant == held.tenant))).scalar_one()


async def finish(
    database: AsyncEngine, done: Claim, result: dict[str, Any], *, ended_at: datetime, next_at: datetime
) -> None:
    """Record the sweep's result and when the next is due, if the claim is still this sweep's (one
    whose lease ran out was taken by another worker, whose record stands)."""
    c = retention_sweeps.c
    async with database.begin() as db:
        await db.execute(
            update(retention_sweeps)
            .where(c.tenant == done.tenant, c.last_began_at == done.began_at, c.last_ended_at.is_(None))
            .values(last_ended_at=ended_at, last_result=result, next_at=next_at)
        )
