"""Pack proposals (four-eyes publishing, issue 21): a publish or promotion waiting for a second key.

For a tenant that requires approval (engine/db/tenant_settings.py), publishing or promoting stores
the version (not active) and a proposal: the pack, the kind (publish or promote), the key that
proposed it, when, the active pack it was proposed over (its base) and the diff against it.
Another ops or admin key of the tenant approves it, which activates the pack through
`PackStore.activate` in one transaction with the approval, or rejects it. Nothing is deleted:
who proposed, who approved or rejected, when, with what comment, stays readable.

Two keys are two people only if keys are per person: the store compares key ids, nothing else.
Keys from the deployment's settings all have the id `settings`, so they count as one key.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.db.packs import PackStore
from engine.db.schema import active_packs, pack_proposals, rule_packs, shadow_packs
from engine.db.stored_tests import with_stored_tests
from engine.rules.pack import RulePack
from engine.rules.pack_diff import pack_diff

KINDS = ("publish", "promote")
STATUSES = ("pending", "approved", "rejected")
PROPOSAL_ID = r"^p_[0-9a-f]{16}$"


class UnknownProposal(LookupError):
    """The tenant has no proposal with this id (another tenant's is unknown too)."""


class ProposalRefused(Exception):
    """Approving or rejecting is refused; `code` says why (`same_key`, `stale_proposal`, `decided`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Proposal(BaseModel):
    """A proposal as `GET /v1/rules/proposals/{id}` shows it (`diff` only there, not in the list)."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    id: str
    kind: str
    """publish, or promote (the tenant's shadow pack)."""
    hash: str
    name: str
    version: str
    base_hash: str | None
    """The tenant's active pack when it was proposed."""
    status: str
    """pending, approved or rejected."""
    stale: bool
    """Pending, but no longer applicable (the active pack changed or was activated again since, or
    a promotion's shadow candidate was replaced): approving it is refused."""
    proposed_by: str
    proposed_at: str
    decided_by: str | None
    decided_at: str | None
    comment: str | None
    diff: dict[str, Any] | None = None


def _same_key(key_id: str, recorded: str | None) -> bool:
    """Whether `key_id` counts as the key a proposal recorded. The deployment's settings keys count
    as one (shared configuration, not a person's key: README), whatever their ids: `settings` before
    each got its own (`settings-<n>`, 8 December 2026), so a proposal of either kind is approved by
    no settings key."""
    if recorded is not None and _of_the_settings(recorded) and _of_the_settings(key_id):
        return True
    return key_id == recorded


def _of_the_settings(key_id: str) -> bool:
    return key_id == "settings" or key_id.startswith("settings-")


@dataclass(frozen=True)
class Current:
    """What a pending proposal is checked against: the active pack, since when, and the shadow pack."""

    active: str | None
    since: datetime | None
    shadow: str | None


def why_stale(row: Any, now: Current) -> str | None:
    """Why a pending proposal no longer applies (None: it does). Its diff was reviewed against its
    base: a base activated again since (a rollback to it, a re-publish) is not the pack reviewed
    then, and a promotion promotes the shadow candidate it was proposed for, no later one."""
    if row.base_hash != now.active:
        return (
            f"it was proposed over active pack {row.base_hash or '(none)'}, and the active pack is now "
            f"{now.active or '(none)'}"
        )
    # Compared as stored (one clock, the activation's), or, for proposals made before it was, with the
    # proposal's time (two hosts' clocks).
    again = (
        row.base_activated_at != now.since
        if row.base_activated_at is not None and now.since is not None
        else now.since is not None and row.proposed_at < now.since
    )
    if again:
        return f"the active pack {now.active} was activated again after it was proposed"
    if row.kind == "promote" and now.shadow != row.pack_hash:
        return f"it promotes shadow pack {row.pack_hash}, and the shadow pack is now {now.shadow or '(none)'}"
    return None


def _view(row: Any, now: Current, *, with_diff: bool) -> Proposal:
    return Proposal(
        id=row.proposal_id,
        kind=row.kind,
        hash=row.pack_hash,
        name=row.name,
        version=row.version,
        base_hash=row.base_hash,
        status=row.status,
        stale=row.status == "pending" and why_stale(row, now) is not None,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at.isoformat(),
        decided_by=row.decided_by,
        decided_at=row.decided_at and row.decided_at.isoformat(),
        comment=row.comment,
        diff=row.diff if with_diff else None,
    )


def _with_names() -> Any:
    """Proposals with their pack's meta name and version (from the tenant's stored version)."""
    return select(pack_proposals, rule_packs.c.name, rule_packs.c.version).join(
        rule_packs,
        (rule_packs.c.tenant == pack_proposals.c.tenant)
        & (rule_packs.c.pack_hash == pack_proposals.c.pack_hash),
    )


class ProposalStore:
    """A tenant's proposals over the pooled engine; every query filters on the tenant."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._packs = PackStore(engine)

    async def propose(
        self,
        tenant: str,
        pack: RulePack,
        *,
        kind: str,
        proposer: str,
        proposer_key: str,
        source: str | None,
        tests: list[Any] | None = None,
        text: str | None = None,
    ) -> Proposal:
        """Store the version (not active) and a pending proposal to activate it, with its diff and
        the YAML `text` it was written as (the version's once approved)."""
        assert kind in KINDS
        digest = await self._packs.add_version(tenant, pack, published_by=proposer, source=source)
        now = await self.current(tenant)  # its base, and when the base was activated: one read
        base = now.active
        active = await self._packs.version(base, tenant) if base else None  # with its tests
        old = active.canonical() if active else None
        new = (await self._packs.get(digest)).canonical()  # as stored, like `old`: keys in one order
        old_tests = active.written_tests() if active else []
        new_tests = tests if tests is not None else pack.written_tests()
        same = (
            pack_proposals.c.tenant == tenant,
            pack_proposals.c.kind == kind,
            pack_proposals.c.pack_hash == digest,
            pack_proposals.c.base_hash.is_(None) if base is None else pack_proposals.c.base_hash == base,
            pack_proposals.c.status == "pending",
        )
        async with self._engine.connect() as db:
            pending = await db.execute(_with_names().where(*same))
            waiting = next((r.proposal_id for r in pending if why_stale(r, now) is None), None)
            # Who published the candidate as shadow may not approve it either: promoted, or proposed
            # for publishing by its hash (a colleague's click does not make its author a reviewer).
            published = shadow_packs.c.tenant == tenant, shadow_packs.c.pack_hash == digest
            query = select(shadow_packs.c.publisher_key).where(*published)
            author = (await db.execute(query)).scalar_one_or_none()
        if waiting is not None:  # a second click on Promote: the proposal already waiting, not a twin
            return await self.get(tenant, waiting)
        diff = await asyncio.to_thread(
            pack_diff, old, new, old_hash=base, new_hash=digest, old_tests=old_tests, new_tests=new_tests
        )
        proposal_id = "p_" + secrets.token_hex(8)
        async with self._engine.begin() as db:
            await db.execute(
                pack_proposals.insert().values(
                    proposal_id=proposal_id,
                    tenant=tenant,
                    kind=kind,
                    pack_hash=digest,
                    base_hash=base,
                    tests=tests,
                    text=text,
                    diff=diff,
                    proposed_by=proposer,
                    proposer_key=proposer_key,
                    author_key=author,
                    base_activated_at=now.since,
                    proposed_at=datetime.now(UTC),
                    status="pending",
                )
            )
        return await self.get(tenant, proposal_id)

    async def list(self, tenant: str, status: str | None = None) -> list[Proposal]:
        """The tenant's proposals, oldest first, without their diffs."""
        query = _with_names().where(pack_proposals.c.tenant == tenant)
        if status is not None:
            query = query.where(pack_proposals.c.status == status)
        now = await self.current(tenant)
        async with self._engine.connect() as db:
            rows = await db.execute(
                query.order_by(pack_proposals.c.proposed_at, pack_proposals.c.proposal_id)
            )
            return [_view(row, now, with_diff=False) for row in rows]

    async def get(self, tenant: str, proposal_id: str) -> Proposal:
        row = await self._row(tenant, proposal_id)
        return _view(row, await self.current(tenant), with_diff=True)

    async def current(self, tenant: str, db: AsyncConnection | None = None) -> Current:
        """The tenant's active pack (since when) and shadow pack; in `db`'s transaction when given,
        the active row locked (PostgreSQL; SQLite writes one at a time), so two approvals over one
        base cannot both pass: the second sees the first's activation, and is stale."""
        if db is None:
            async with self._engine.connect() as connection:
                return await self._read_current(tenant, connection, lock=False)
        return await self._read_current(tenant, db, lock=True)

    @staticmethod
    async def _read_current(tenant: str, db: AsyncConnection, *, lock: bool) -> Current:
        active = select(active_packs.c.pack_hash, active_packs.c.activated_at).where(
            active_packs.c.tenant == tenant
        )
        row = (await db.execute(active.with_for_update() if lock else active)).first()
        shadow = select(shadow_packs.c.pack_hash).where(shadow_packs.c.tenant == tenant)
        return Current(
            active=row.pack_hash if row else None,
            since=row.activated_at if row else None,  # WHEN columns are read back aware
            shadow=(await db.execute(shadow)).scalar_one_or_none(),
        )

    async def pack_of(self, tenant: str, proposal_id: str) -> tuple[RulePack, Any]:
        """The proposed pack (a promotion's test cases back in it) and the proposal's row."""
        row = await self._row(tenant, proposal_id)
        stored = await self._packs.get(row.pack_hash)
        if row.tests is None:
            return stored, row
        return with_stored_tests(stored, row.tests), row

    def refusal(
        self, row: Any, key_id: str, now: Current | None, *, approving: bool
    ) -> ProposalRefused | None:
        """Why `key_id` may not decide on the proposal now (None: it may)."""
        if row.status != "pending":
            return ProposalRefused(
                "proposal_decided", f"proposal {row.proposal_id} was already {row.status} by {row.decided_by}"
            )
        if approving and _same_key(key_id, row.proposer_key):
            return ProposalRefused(
                "same_key",
                f"proposal {row.proposal_id} was proposed with this key ({key_id}): four-eyes publishing "
                "needs another ops or admin key of the tenant to approve it",
            )
        if approving and _same_key(key_id, row.author_key):
            return ProposalRefused(
                "same_key",
                f"proposal {row.proposal_id} activates a candidate published as shadow with this key "
                f"({key_id}): its author may not approve it; another ops or admin key of the tenant does",
            )
        if approving and now is not None and (stale := why_stale(row, now)) is not None:
            return ProposalRefused(
                "stale_proposal",
                f"proposal {row.proposal_id} is stale: {stale}; propose it again to review its diff "
                "against the active pack",
            )
        return None

    async def approve(
        self, tenant: str, proposal_id: str, *, approver: str, approver_key: str, comment: str | None
    ) -> Proposal:
        """Approve and activate in one transaction (ProposalRefused: same key, stale, decided)."""
        row = await self._row(tenant, proposal_id)
        if refused := self.refusal(row, approver_key, await self.current(tenant), approving=True):
            raise refused

        async def approval(db: AsyncConnection) -> None:
            now = await self.current(tenant, db)
            decided = await self._current(db, row)
            if refused := self.refusal(decided, approver_key, now, approving=True):
                raise refused
            await self._mark(db, row, "approved", approver, approver_key, comment)

        await self._packs.activate(
            tenant,
            row.pack_hash,
            activated_by=f"{row.proposed_by} approved by {approver_key}",
            via=row.kind,
            approval=approval,
            proposal_id=proposal_id,
            text=row.text,
        )
        return await self.get(tenant, proposal_id)

    async def reject(
        self, tenant: str, proposal_id: str, *, rejecter: str, rejecter_key: str, comment: str | None
    ) -> Proposal:
        """Reject a pending proposal (its proposer may withdraw it so): nothing is activated."""
        row = await self._row(tenant, proposal_id)
        async with self._engine.begin() as db:
            current = await self._current(db, row)
            if refused := self.refusal(current, rejecter_key, None, approving=False):
                raise refused
            await self._mark(db, row, "rejected", rejecter, rejecter_key, comment)
        return await self.get(tenant, proposal_id)

    async def _row(self, tenant: str, proposal_id: str) -> Any:
        query = _with_names().where(
            pack_proposals.c.tenant == tenant, pack_proposals.c.proposal_id == proposal_id
        )
        async with self._engine.connect() as db:
            row = (await db.execute(query)).first()
        if row is None:
            raise UnknownProposal(f"tenant {tenant} has no proposal {proposal_id}")
        return row

    @staticmethod
    async def _current(db: AsyncConnection, row: Any) -> Any:
        """The proposal's row as this transaction sees it (another decision may have come first)."""
        query = _with_names().where(pack_proposals.c.proposal_id == row.proposal_id)
        return (await db.execute(query)).one()

    @staticmethod
    async def _mark(
        db: AsyncConnection, row: Any, status: str, by: str, key_id: str, comment: str | None
    ) -> None:
        marked = await db.execute(
            update(pack_proposals)
            .where(pack_proposals.c.proposal_id == row.proposal_id, pack_proposals.c.status == "pending")
            .values(
                status=status,
                decided_by=by,
                decider_key=key_id,
                decided_at=datetime.now(UTC),
                comment=comment,
            )
        )
        if marked.rowcount != 1:
            raise ProposalRefused("proposal_decided", f"proposal {row.proposal_id} was decided meanwhile")
