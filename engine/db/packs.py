"""Published rule packs in the control-plane database: one version row per tenant and content hash,
one active pack per tenant.

Every change of a tenant's active pack goes through `PackStore.activate` (publish, a shadow pack's
promotion), which also records who did it in `pack_activations`: the one place an approval step
(four-eyes publishing, engine/db/proposals.py) wraps, inside the activation's own transaction.

A pack is content-addressed: its hash covers its canonical content, so a row never changes meaning
and any host resolves a conversation's pinned hash from any tenant's row holding it (the content
is checked against the hash on the way out). Publishing the same content again only re-activates
it: the (tenant, hash) primary key keeps one row, and the database decides that, not a prior read.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.db.inserts import upsert
from engine.db.intent_models import store_intent_model
from engine.db.schema import active_packs, pack_activations, pack_proposals, rule_packs, shadow_packs
from engine.db.stored_tests import with_stored_tests
from engine.rules.pack import RulePack
from engine.rules.triage import trained_model


class UnknownPack(LookupError):
    """No tenant ever published a pack with this hash."""


class AlteredPack(ValueError):
    """A stored pack's content does not hash to the hash it is stored under."""


@dataclass(frozen=True, kw_only=True, config=ConfigDict(use_attribute_docstrings=True))
class PublishedVersion:
    """One published version of a tenant's packs, as `rules list` and `GET /v1/rules/versions` show it."""

    hash: str
    """SHA-256 of the canonical content: what conversations pin."""
    name: str
    version: str
    """The pack's own `meta.name` and `meta.version`, as its authors wrote them."""
    published_by: str | None
    """`api:<tenant>`, `cli:<user>`, or `shipped` for the pack a tenant started from."""
    published_at: str
    """ISO instant of the first publication of this content by this tenant."""
    source: str | None
    """Where it came from: a path (CLI, shipped pack) or the API route."""
    active: bool
    """Whether the tenant's new conversations pin it now."""
    shadow: bool = False
    """Whether it is the tenant's shadow pack: decided beside the live one, never executed."""
    activations: int = 0
    """How many times it was made active (published, rolled back to, promoted, approved)."""
    activated_by: str | None = None
    activated_at: str | None = None
    activated_via: str | None = None
    """Its latest activation: who, when, and how (`publish`, or `promote` for a shadow pack made
    active); none for a version never activated (or activated before activations were recorded)."""
    proposal_id: str | None = None
    proposed_by: str | None = None
    approved_by: str | None = None
    """When its latest activation was an approved proposal (four-eyes): which, who proposed it and
    who approved it (the two keys `activated_by` names)."""


def canonical_text(pack: RulePack) -> str:
    """The stored content: the canonical pack as JSON (what the hash covers, re-validated on read)."""
    return json.dumps(pack.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _activation(row: Any, proposals: dict[str, Any]) -> dict[str, Any]:
    if row is None:
        return {}
    found = {
        "activated_by": row.activated_by,
        "activated_at": row.activated_at.isoformat(),
        "activated_via": row.via,
    }
    proposal = proposals.get(row.proposal_id) if row.proposal_id else None
    if proposal is not None:
        found |= {
            "proposal_id": proposal.proposal_id,
            "proposed_by": proposal.proposed_by,
            "approved_by": proposal.decided_by,
        }
    return found


Approval = Callable[[AsyncConnection], Awaitable[None]]
"""A step run in the activation's transaction before it: raising refuses the activation."""


class PackStore:
    """Per-tenant published packs over an AsyncEngine (the process's pooled control-plane engine)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def publish(
        self,
        tenant: str,
        pack: RulePack,
        *,
        published_by: str | None,
        source: str | None,
        text: str | None = None,
        written_elsewhere: bool = False,
    ) -> str:
        """Store the version (once per tenant and hash) and make it the tenant's active pack, with
        the tests it was published with (they passed: the callers' gate) and the YAML `text` it was
        written as, when it came as one (the API's); `written_elsewhere`: it came from files (the
        CLI's), whose text is theirs, so an older one kept for the version is dropped."""
        digest = await self.add_version(
            tenant, pack, published_by=published_by, source=source, replace_tests=True
        )
        await self.activate(
            tenant, digest, activated_by=published_by, via="publish", text=text, drop_text=written_elsewhere
        )
        return digest

    async def add_version(
        self,
        tenant: str,
        pack: RulePack,
        *,
        published_by: str | None,
        source: str | None,
        replace_tests: bool = False,
    ) -> str:
        """Store the version (once per tenant and hash) without activating it; returns its hash.
        A stored version keeps its tests unless `replace_tests` (a publish that passed them): a
        shadow candidate or a proposal nobody approved must not change what a rollback reruns."""
        digest = pack.content_hash
        await asyncio.to_thread(trained_model, pack)  # CPU, once per content: not in the transaction
        async with self._engine.begin() as db:
            await self._store(
                db,
                tenant,
                pack,
                digest,
                datetime.now(UTC),
                published_by=published_by,
                source=source,
                replace_tests=replace_tests,
            )
        return digest

    async def activate(
        self,
        tenant: str,
        digest: str,
        *,
        activated_by: str | None,
        via: str,
        approval: Approval | None = None,
        proposal_id: str | None = None,
        text: str | None = None,
        drop_text: bool = False,
    ) -> None:
        """Make the tenant's stored version `digest` its active pack, and record who did it and how.

        The one function every activation goes through (`publish`, a shadow pack's promotion, an
        approved proposal of either). `approval` runs first in the same transaction (a proposal
        marked approved, its base checked still active): if it raises, nothing is activated, and
        an approval never stands without its activation. A version the tenant never stored is
        refused (UnknownPack). `text`: the YAML it is made active from (the same content with other
        comments is the same version: the editor opens the latest), kept when None (a rollback by
        hash), dropped with `drop_text`.
        """
        now = datetime.now(UTC)
        async with self._engine.begin() as db:
            stored = select(rule_packs.c.pack_hash).where(
                rule_packs.c.tenant == tenant, rule_packs.c.pack_hash == digest
            )
            if (await db.execute(stored)).scalar_one_or_none() is None:
                raise UnknownPack(f"tenant {tenant} has no published rule pack with hash {digest}")
            if approval is not None:
                await approval(db)
            if text is not None or drop_text:
                mine = (rule_packs.c.tenant == tenant) & (rule_packs.c.pack_hash == digest)
                await db.execute(update(rule_packs).where(mine).values(text=text))
            activate = upsert(db, active_packs).values(tenant=tenant, pack_hash=digest, activated_at=now)
            await db.execute(
                activate.on_conflict_do_update(
                    index_elements=[active_packs.c.tenant],
                    set_={"pack_hash": digest, "activated_at": now},
                )
            )
            await db.execute(
                pack_activations.insert().values(
                    tenant=tenant,
                    pack_hash=digest,
                    activated_at=now,
                    activated_by=activated_by,
                    via=via,
                    proposal_id=proposal_id,
                )
            )
            # The candidate became the live pack (promoted, or published or approved by another
            # route): a shadow run would compare the live decisions with themselves.
            candidate = (shadow_packs.c.tenant == tenant) & (shadow_packs.c.pack_hash == digest)
            await db.execute(delete(shadow_packs).where(candidate))

    async def ensure_active(self, tenant: str, fallback: RulePack, *, source: str | None) -> str:
        """The tenant's active hash; a tenant with none gets `fallback` (the shipped pack).

        Safe under concurrency: every racer inserts with ON CONFLICT DO NOTHING, then all read the
        one activation that won (or a publish that came in between, which must not be undone).
        """
        active = await self.active_hash(tenant)
        if active is not None:
            return active
        digest = fallback.content_hash
        now = datetime.now(UTC)
        await asyncio.to_thread(trained_model, fallback)
        async with self._engine.begin() as db:
            await self._store(db, tenant, fallback, digest, now, published_by="shipped", source=source)
            first = upsert(db, active_packs).values(tenant=tenant, pack_hash=digest, activated_at=now)
            won = await db.execute(first.on_conflict_do_nothing(index_elements=[active_packs.c.tenant]))
            if won.rowcount == 1:  # the history starts here: what the tenant's first conversations ran
                shipped = {"activated_at": now, "activated_by": "shipped", "via": "shipped"}
                await db.execute(pack_activations.insert().values(tenant=tenant, pack_hash=digest, **shipped))
        active = await self.active_hash(tenant)
        assert active is not None  # just inserted, and activations are never deleted
        return active

    async def active_hash(self, tenant: str) -> str | None:
        """The hash a new conversation (or thread) of `tenant` pins now, if it has one."""
        async with self._engine.connect() as db:
            query = select(active_packs.c.pack_hash).where(active_packs.c.tenant == tenant)
            return (await db.execute(query)).scalar_one_or_none()

    async def get(self, digest: str) -> RulePack:
        """The pack published under `digest` by any tenant, checked against its hash."""
        async with self._engine.connect() as db:
            query = select(rule_packs.c.content).where(rule_packs.c.pack_hash == digest).limit(1)
            content = (await db.execute(query)).scalar_one_or_none()
        if content is None:
            raise UnknownPack(f"no published rule pack has hash {digest}")
        pack = RulePack.model_validate(json.loads(content))
        if pack.content_hash != digest:
            raise AlteredPack(f"stored pack {digest} does not match its hash: the store was altered")
        return pack

    async def version(self, digest: str, tenant: str | None = None) -> RulePack:
        """The version `digest` with the test cases `tenant` last published it with (none when it never
        did, or before versions kept them; without a tenant, the latest any tenant stored, as `rules
        test <hash>` reads them): what a rollback checks and reruns."""
        query = select(rule_packs.c.tests).where(rule_packs.c.pack_hash == digest)
        if tenant is not None:  # a tenant's own tests only: another tenant's would leak into its row
            query = query.where(rule_packs.c.tenant == tenant)
        query = query.order_by(rule_packs.c.published_at.desc())
        async with self._engine.connect() as db:
            rows = list(await db.execute(query))
        stored = await self.get(digest)
        return with_stored_tests(stored, next((r.tests for r in rows if r.tests), []))

    async def text_of(self, digest: str, tenant: str) -> str | None:
        """The YAML `tenant` last published the version from (API, console), or None (the CLI's
        files, a version published before texts were kept)."""
        query = select(rule_packs.c.text).where(
            rule_packs.c.pack_hash == digest, rule_packs.c.tenant == tenant
        )
        async with self._engine.connect() as db:
            return (await db.execute(query)).scalar_one_or_none()

    async def hashes_beginning(self, prefix: str, limit: int = 5, tenant: str | None = None) -> list[str]:
        """Published hashes that begin with `prefix` (a listing's short form), at most `limit`; of
        `tenant`'s versions only, when given."""
        query = select(rule_packs.c.pack_hash).where(
            rule_packs.c.pack_hash.startswith(prefix, autoescape=True)
        )
        if tenant is not None:
            query = query.where(rule_packs.c.tenant == tenant)
        async with self._engine.connect() as db:
            found = await db.execute(query.distinct().order_by(rule_packs.c.pack_hash).limit(limit))
            return list(found.scalars())

    async def versions(self, tenant: str) -> list[PublishedVersion]:
        """The tenant's published versions, oldest first, the active and shadow ones flagged."""
        active = await self.active_hash(tenant)
        async with self._engine.connect() as db:
            shadow = (
                await db.execute(select(shadow_packs.c.pack_hash).where(shadow_packs.c.tenant == tenant))
            ).scalar_one_or_none()
            activations = list(
                await db.execute(
                    select(pack_activations)
                    .where(pack_activations.c.tenant == tenant)
                    .order_by(pack_activations.c.activated_at)
                )
            )
            latest = {row.pack_hash: row for row in activations}  # the latest of each hash wins
            times = Counter(row.pack_hash for row in activations)
            approved = await db.execute(
                select(pack_proposals).where(
                    pack_proposals.c.tenant == tenant, pack_proposals.c.status == "approved"
                )
            )
            proposals = {row.proposal_id: row for row in approved}
            rows = await db.execute(
                select(rule_packs)
                .where(rule_packs.c.tenant == tenant)
                .order_by(rule_packs.c.published_at, rule_packs.c.pack_hash)
            )
            return [
                PublishedVersion(
                    hash=row.pack_hash,
                    name=row.name,
                    version=row.version,
                    published_by=row.published_by,
                    published_at=row.published_at.isoformat(),
                    source=row.source,
                    active=row.pack_hash == active,
                    shadow=row.pack_hash == shadow,
                    activations=times[row.pack_hash],
                    **_activation(latest.get(row.pack_hash), proposals),
                )
                for row in rows
            ]

    @staticmethod
    async def _store(
        db: AsyncConnection,
        tenant: str,
        pack: RulePack,
        digest: str,
        now: datetime,
        *,
        published_by: str | None,
        source: str | None,
        replace_tests: bool = False,
    ) -> None:
        tests = pack.written_tests()
        row = upsert(db, rule_packs).values(
            tenant=tenant,
            pack_hash=digest,
            content=canonical_text(pack),
            name=pack.meta.name,
            version=pack.meta.version,
            published_by=published_by,
            published_at=now,
            source=source,
            tests=tests,
        )
        # Published again: the first publication's who and when stay; the tests of a publish replace
        # the earlier ones, unless it came without any (a rollback by hash reruns the kept ones).
        kept = [rule_packs.c.tenant, rule_packs.c.pack_hash]
        if pack.tests and replace_tests:
            await db.execute(row.on_conflict_do_update(index_elements=kept, set_={"tests": tests}))
        else:
            await db.execute(row.on_conflict_do_nothing(index_elements=kept))
        await store_intent_model(db, pack, digest, now)
