"""A tenant's settings that govern its own people, and who changed them when (four-eyes publishing).

`require_approval` lives in `tenants` (read on every publish and promotion: one primary-key read);
each change also leaves a row in `tenant_setting_changes`, because a control that can be turned
off quietly is no control: turning four-eyes off, publishing alone and turning it on again shows.
An admin changes it (`convoflow tenant set`, `PUT /v1/tenant/settings`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.keys import UnknownTenant
from engine.db.schema import tenant_setting_changes, tenants

REQUIRE_APPROVAL = "require_approval"


@dataclass(frozen=True, kw_only=True, config=ConfigDict(use_attribute_docstrings=True))
class SettingChange:
    """One change of a tenant setting."""

    setting: str
    value: Any
    changed_by: str | None
    """`api:<tenant>/<key>` or `cli:<user>`."""
    changed_at: str
    """ISO instant."""


@dataclass(frozen=True, kw_only=True, config=ConfigDict(use_attribute_docstrings=True))
class TenantSettings:
    """What `GET /v1/tenant/settings` and `convoflow tenant set` show."""

    require_approval: bool
    """Whether a publish or promotion waits for a second key's approval (four-eyes)."""
    changes: list[SettingChange]
    """Every change of these settings, newest first."""


async def requires_approval(database: AsyncEngine, tenant: str) -> bool:
    """Whether the tenant's publishes and promotions need a second key (False for an unknown tenant)."""
    async with database.connect() as db:
        query = select(tenants.c.require_approval).where(tenants.c.tenant == tenant)
        return bool((await db.execute(query)).scalar_one_or_none())


async def settings_of(database: AsyncEngine, tenant: str) -> TenantSettings:
    async with database.connect() as db:
        found = (
            await db.execute(select(tenants.c.require_approval).where(tenants.c.tenant == tenant))
        ).first()
        if found is None:
            raise UnknownTenant(f"no tenant {tenant!r}: create it with `convoflow tenant create`")
        rows = await db.execute(
            select(tenant_setting_changes)
            .where(tenant_setting_changes.c.tenant == tenant)
            .order_by(tenant_setting_changes.c.changed_at.desc())
        )
        changes = [
            SettingChange(
                setting=row.setting,
                value=row.value,
                changed_by=row.changed_by,
                changed_at=row.changed_at.isoformat(),
            )
            for row in rows
        ]
    return TenantSettings(require_approval=bool(found.require_approval), changes=changes)


async def set_require_approval(database: AsyncEngine, tenant: str, on: bool, *, changed_by: str) -> bool:
    """Set four-eyes on or off, recording the change (also when it was already so: the admin's act
    is what is kept); returns the value it had before."""
    async with database.begin() as db:
        before = (
            await db.execute(select(tenants.c.require_approval).where(tenants.c.tenant == tenant))
        ).first()
        if before is None:
            raise UnknownTenant(f"no tenant {tenant!r}: create it with `convoflow tenant create`")
        await db.execute(update(tenants).where(tenants.c.tenant == tenant).values(require_approval=on))
        await db.execute(
            tenant_setting_changes.insert().values(
                tenant=tenant,
                setting=REQUIRE_APPROVAL,
                value=on,
                changed_by=changed_by,
                changed_at=datetime.now(UTC),
            )
        )
    return bool(before.require_approval)
