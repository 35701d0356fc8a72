"""A tenant's own rate limits, kept as JSON in `tenants.limits` (null: the deployment's defaults).

Each field overrides one deployment setting (CONVOFLOW_RATE_LIMIT_...) for this tenant only; a field
left out keeps the default, so raising one tenant's rule-pack limit does not freeze its other limits
at today's defaults. `convoflow tenant limits` writes them; the API reads them (cached a few seconds
per process, engine/api/rate_limits.py), so a change needs no restart.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import null, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.keys import UnknownTenant
from engine.db.schema import tenants

PER_MINUTE_MAX = 10_000_000


class TenantLimits(BaseModel):
    """Overrides of the deployment's rate limits for one tenant; 0 turns a limit off."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    tenant_per_minute: int | None = Field(default=None, ge=0, le=PER_MINUTE_MAX)
    """Requests per minute of all the tenant's API keys together."""
    key_per_minute: int | None = Field(default=None, ge=0, le=PER_MINUTE_MAX)
    """Requests per minute of each one of the tenant's API keys."""
    rules_per_minute: int | None = Field(default=None, ge=0, le=PER_MINUTE_MAX)
    """Rule-pack POSTs (validate, test, simulate, diff, publish) per minute, the tenant's keys together."""
    webhook_per_minute: int | None = Field(default=None, ge=0, le=PER_MINUTE_MAX)
    """Signed inbound webhooks per minute for the tenant."""
    window_seconds: int | None = Field(default=None, ge=1, le=3600)
    """The burst: a client may spend a whole window's quota at once; it refills evenly over the window."""

    def merged(self, changes: TenantLimits) -> TenantLimits:
        """These limits with every field `changes` sets replaced."""
        return self.model_copy(update=changes.model_dump(exclude_none=True))

    def stored(self) -> dict[str, Any] | None:
        """The JSON kept in `tenants.limits`: only the fields set; None when nothing overrides."""
        return self.model_dump(exclude_none=True) or None


async def limits_of(database: AsyncEngine, tenant: str) -> TenantLimits | None:
    """The tenant's stored limits, or None (no such tenant, or it uses the deployment's defaults).

    A stored value that is not valid (edited by hand) raises pydantic's ValidationError.
    """
    async with database.connect() as connection:
        stored = (
            await connection.execute(select(tenants.c.limits).where(tenants.c.tenant == tenant))
        ).scalar_one_or_none()
    return None if stored is None else TenantLimits.model_validate(stored)


async def set_limits(database: AsyncEngine, tenant: str, limits: TenantLimits) -> None:
    """Replace the tenant's limits (an empty TenantLimits: back to the deployment's defaults)."""
    async with database.begin() as connection:
        changed = await connection.execute(
            update(tenants).where(tenants.c.tenant == tenant).values(limits=limits.stored() or null())
        )
    if changed.rowcount != 1:
        raise UnknownTenant(f"no tenant {tenant!r}: create it with `convoflow tenant create`")
