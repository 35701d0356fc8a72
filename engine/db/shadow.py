"""Shadow packs and their comparisons in the control-plane database (issue 21, shadow mode).

A tenant has at most one shadow pack: a version stored in `rule_packs` like any other, named in
`shadow_packs`. Workers decide every live decision of the tenant again with it and write the
comparison to `shadow_decisions` (engine/service/shadow_evaluator.py); the report reads them back.
Every query filters on the tenant: one tenant never reads another's candidate or comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import upsert
from engine.db.packs import PackStore
from engine.db.schema import shadow_decisions, shadow_packs
from engine.db.stored_tests import with_stored_tests
from engine.rules.pack import RulePack


class AlreadyActive(ValueError):
    """The candidate is the tenant's active pack: a shadow run would compare the live decisions with
    themselves (and blame it for every difference a conversation's pinned pack makes)."""

    def __init__(self) -> None:
        super().__init__(
            "it is the tenant's active pack: a shadow run would compare the live decisions with themselves"
        )


@dataclass(frozen=True, kw_only=True)
class ShadowPack:
    """The tenant's current candidate, as `GET /v1/rules/shadow` shows it."""

    hash: str
    name: str
    version: str
    tests: int
    """How many test cases came with it: promotion runs them."""
    published_by: str | None
    published_at: str


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """One live decision taken again with the candidate: a `shadow_decisions` row."""

    tenant: str
    conversation_id: str
    run_id: str
    decision: str
    """The `decide` local activity's id in the run."""
    shadow_hash: str
    live_hash: str
    event_type: str
    event_at: datetime
    event_depth: int
    live_actions: list[dict[str, Any]]
    shadow_actions: list[dict[str, Any]]
    live_matched: list[str]
    shadow_matched: list[str]
    shadow_errors: list[str]
    differs: bool
    at: datetime


class ShadowStore:
    """A tenant's shadow pack and the comparisons recorded for it, over the pooled engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._packs = PackStore(engine)

    async def set(
        self,
        tenant: str,
        pack: RulePack,
        *,
        published_by: str | None,
        source: str | None,
        publisher_key: str | None = None,
        text: str | None = None,
    ) -> str:
        """Store `pack` as a version of the tenant (not active) and make it the tenant's shadow pack;
        `publisher_key`: the API key that did (it may not approve the candidate's promotion); `text`:
        the YAML it was written as, its version's once promoted. AlreadyActive when it is the active
        pack."""
        if await self._packs.active_hash(tenant) == pack.content_hash:
            raise AlreadyActive()
        digest = await self._packs.add_version(tenant, pack, published_by=published_by, source=source)
        now = datetime.now(UTC)
        values = {
            "pack_hash": digest,
            "tests": pack.written_tests(),
            "published_by": published_by,
            "published_at": now,
            "publisher_key": publisher_key,
            "text": text,
        }
        async with self._engine.begin() as db:
            row = upsert(db, shadow_packs).values(tenant=tenant, **values)
            await db.execute(row.on_conflict_do_update(index_elements=[shadow_packs.c.tenant], set_=values))
        return digest

    async def hash_for(self, tenant: str) -> str | None:
        """The tenant's shadow pack hash, if it has one (one primary-key read)."""
        async with self._engine.connect() as db:
            query = select(shadow_packs.c.pack_hash).where(shadow_packs.c.tenant == tenant)
            return (await db.execute(query)).scalar_one_or_none()

    async def current(self, tenant: str) -> ShadowPack | None:
        found = await self.candidate(tenant)
        if found is None:
            return None
        pack, row = found
        return ShadowPack(
            hash=row.pack_hash,
            name=pack.meta.name,
            version=pack.meta.version,
            tests=len(pack.tests),
            published_by=row.published_by,
            published_at=row.published_at.isoformat(),
        )

    async def candidate(self, tenant: str) -> tuple[RulePack, Any] | None:
        """The shadow pack with its test cases back in it (what promotion checks), and its row."""
        async with self._engine.connect() as db:
            row = (await db.execute(select(shadow_packs).where(shadow_packs.c.tenant == tenant))).first()
        if row is None:
            return None
        stored = await self._packs.get(row.pack_hash)
        pack = with_stored_tests(stored, row.tests)
        return pack, row

    async def clear(self, tenant: str, digest: str | None = None) -> bool:
        """Stop the tenant's shadow pack (only if it is still `digest`, when given); False if none."""
        async with self._engine.begin() as db:
            query = delete(shadow_packs).where(shadow_packs.c.tenant == tenant)
            if digest is not None:
                query = query.where(shadow_packs.c.pack_hash == digest)
            return bool((await db.execute(query)).rowcount)

    async def record(self, comparisons: list[Comparison]) -> None:
        """Write comparisons; one already written (the same run and decision) is kept as it was."""
        if not comparisons:
            return
        async with self._engine.begin() as db:
            rows = upsert(db, shadow_decisions).values([c.__dict__ for c in comparisons])
            await db.execute(
                rows.on_conflict_do_nothing(
                    index_elements=[shadow_decisions.c.run_id, shadow_decisions.c.decision]
                )
            )

    async def comparisons(
        self, tenant: str, start: datetime, end: datetime, shadow_hash: str | None
    ) -> list[Comparison]:
        """The tenant's comparisons made in [start, end), of one candidate when `shadow_hash` is given."""
        query = select(shadow_decisions).where(
            shadow_decisions.c.tenant == tenant,
            shadow_decisions.c.at >= start,
            shadow_decisions.c.at < end,
        )
        if shadow_hash is not None:
            query = query.where(shadow_decisions.c.shadow_hash == shadow_hash)
        async with self._engine.connect() as db:
            rows = await db.execute(query.order_by(shadow_decisions.c.at))
            return [Comparison(**row._asdict()) for row in rows]
