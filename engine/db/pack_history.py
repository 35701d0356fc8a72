"""Every activation of a tenant's rule packs, oldest first: what was live when, and who made it so.

`GET /v1/rules/versions` shows each version once, with its latest activation: after v1, v2, then
v1 again, v1's first activation (who, when) was no longer readable anywhere, though
`pack_activations` kept it. An auditor asking "which pack decided on 3 March?" reads it here.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.schema import pack_activations, pack_proposals, rule_packs


@dataclass(frozen=True, kw_only=True, config=ConfigDict(use_attribute_docstrings=True))
class Activation:
    """One activation, as `GET /v1/rules/activations` and `convoflow rules history` show it."""

    hash: str
    name: str
    version: str
    activated_at: str
    activated_by: str | None
    via: str
    """publish (a rollback by hash too), promote (a shadow pack made active) or shipped (the pack
    a tenant without one got on its first conversation)."""
    proposal_id: str | None = None
    proposed_by: str | None = None
    approved_by: str | None = None
    """With four-eyes: the approved proposal this activation carried out, its proposer and approver."""


async def activations(database: AsyncEngine, tenant: str) -> list[Activation]:
    """The tenant's activations, oldest first."""
    query = (
        select(
            pack_activations,
            rule_packs.c.name,
            rule_packs.c.version,
            pack_proposals.c.proposed_by,
            pack_proposals.c.decided_by,
        )
        .join(
            rule_packs,
            (rule_packs.c.tenant == pack_activations.c.tenant)
            & (rule_packs.c.pack_hash == pack_activations.c.pack_hash),
        )
        .outerjoin(pack_proposals, pack_proposals.c.proposal_id == pack_activations.c.proposal_id)
        .where(pack_activations.c.tenant == tenant)
        .order_by(pack_activations.c.activated_at, pack_activations.c.pack_hash)
    )
    async with database.connect() as db:
        return [_shown(row) for row in await db.execute(query)]


def _shown(row: Any) -> Activation:
    return Activation(
        hash=row.pack_hash,
        name=row.name,
        version=row.version,
        activated_at=row.activated_at.isoformat(),  # a WHEN column: read back aware
        activated_by=row.activated_by,
        via=row.via,
        proposal_id=row.proposal_id,
        proposed_by=row.proposed_by,
        approved_by=row.decided_by,
    )
