"""Tenants and their API keys in the control-plane database (tables tenants, api_keys).

A key is shown once, when it is created, and stored only as its SHA-256: a leaked database reveals no
key. Keys are random 256-bit tokens, so an unsalted fast hash is enough (there is nothing to guess
from a dictionary). Each key has a public `key_id` for listing and revoking, and a role:

- `integrator`: conversations and their messages (what a helpdesk front end or a gateway does);
- `ops`: its tenant's rule packs (validate, test, simulate, diff, publish, versions);
- `auditor`: read-only (conversations, decisions, exports);
- `admin`: every right of the others in its tenant, plus its tenant's keys.

engine/api/roles.py decides which role each route needs.
Revoking sets `revoked_at` (the row stays for the audit trail); a revoked key never authenticates.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.schema import api_keys, tenants

TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
ROLES = ("admin", "ops", "auditor", "integrator")
KEY_PREFIX = "cfk_"


class TenantExists(ValueError):
    """`tenant create` for a tenant that is already there."""


class UnknownTenant(ValueError):
    """A key asked for a tenant that was never created."""


@dataclass(frozen=True, kw_only=True)
class KeyInfo:
    """What may be shown about a key: never the key, never its hash."""

    key_id: str
    """Public id, for listing and revoking."""
    tenant: str
    role: str
    created_at: datetime
    revoked_at: datetime | None = None
    """When it stopped authenticating; None while it is active."""


@dataclass(frozen=True, kw_only=True)
class Identity:
    """Who a valid key speaks for."""

    tenant: str
    role: str
    key_id: str
    """Which key: what an audit trail records as who did it."""


def key_hash(key: str) -> str:
    """The SHA-256 hex the database stores for a key."""
    return hashlib.sha256(key.encode()).hexdigest()


async def create_tenant(database: AsyncEngine, tenant: str, name: str | None = None) -> None:
    """Create a tenant; the primary key decides a race between two creators (TenantExists)."""
    if not TENANT_PATTERN.match(tenant):
        raise ValueError(
            f"invalid tenant name {tenant!r}: letters, digits, `.`, `_`, `-`, at most 64, "
            "starting with a letter or digit"
        )
    try:
        async with database.begin() as connection:
            await connection.execute(
                insert(tenants).values(tenant=tenant, name=name or tenant, created_at=datetime.now(UTC))
            )
    except IntegrityError:
        raise TenantExists(f"tenant {tenant!r} exists already") from None


async def ensure_tenant(database: AsyncEngine, tenant: str) -> bool:
    """Create the tenant unless it exists (tenants named by settings keys); True when it was created."""
    try:
        await create_tenant(database, tenant)
    except TenantExists:
        return False
    return True


async def tenant_exists(database: AsyncEngine, tenant: str) -> bool:
    async with database.connect() as connection:
        return bool((await connection.execute(select(exists().where(tenants.c.tenant == tenant)))).scalar())


async def require_tenant(database: AsyncEngine, tenant: str) -> None:
    """UnknownTenant unless `tenant` was created: a command for a tenant that is not there (a
    typo) published a pack nobody would run, imported customers nobody would read, or listed
    nothing as if the tenant had nothing."""
    if not await tenant_exists(database, tenant):
        raise UnknownTenant(f"no tenant {tenant!r}: create it with `convoflow tenant create`")


async def list_tenants(database: AsyncEngine) -> list[str]:
    async with database.connect() as connection:
        return list((await connection.execute(select(tenants.c.tenant).order_by(tenants.c.tenant))).scalars())


async def create_key(database: AsyncEngine, tenant: str, role: str) -> tuple[KeyInfo, str]:
    """A new key for an existing tenant: its public info, and the key itself (not kept anywhere)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    info = KeyInfo(key_id="k_" + secrets.token_hex(8), tenant=tenant, role=role, created_at=datetime.now(UTC))
    try:
        async with database.begin() as connection:
            await connection.execute(
                insert(api_keys).values(
                    key_id=info.key_id,
                    tenant=tenant,
                    key_hash=key_hash(key),
                    role=role,
                    created_at=info.created_at,
                )
            )
    except IntegrityError:  # the foreign key: ids and hashes are random and never collide in practice
        raise UnknownTenant(f"no tenant {tenant!r}: create it with `convoflow tenant create`") from None
    return info, key


async def list_keys(database: AsyncEngine, tenant: str | None = None) -> list[KeyInfo]:
    """A tenant's keys, or every tenant's (the deployment owner's CLI) when `tenant` is None."""
    async with database.connect() as connection:
        rows = await connection.execute(
            select(
                api_keys.c.key_id,
                api_keys.c.tenant,
                api_keys.c.role,
                api_keys.c.created_at,
                api_keys.c.revoked_at,
            )
            .where(*([api_keys.c.tenant == tenant] if tenant is not None else []))
            .order_by(api_keys.c.tenant, api_keys.c.created_at, api_keys.c.key_id)
        )
        return [KeyInfo(**row._mapping) for row in rows]


async def revoke_key(database: AsyncEngine, key_id: str, *, tenant: str | None = None) -> bool:
    """Revoke an active key (of `tenant` only, when given: the API's admins revoke their own tenant's
    keys); False when there is no such key or it was revoked before."""
    scope = [api_keys.c.tenant == tenant] if tenant is not None else []
    async with database.begin() as connection:
        changed = await connection.execute(
            update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None), *scope)
            .values(revoked_at=datetime.now(UTC))
        )
        return changed.rowcount == 1


async def identity_of(database: AsyncEngine, digest: str) -> Identity | None:
    """The tenant and role of an active key, by the hash of the presented key."""
    async with database.connect() as connection:
        row = (
            await connection.execute(
                select(api_keys.c.tenant, api_keys.c.role, api_keys.c.key_id).where(
                    api_keys.c.key_hash == digest, api_keys.c.revoked_at.is_(None)
                )
            )
        ).first()
    return None if row is None else Identity(tenant=row.tenant, role=row.role, key_id=row.key_id)


async def has_keys_beyond(database: AsyncEngine, tenant: str) -> bool:
    """Whether a key in force is an admin key, or a key of another tenant than `tenant`: someone
    has taken over the keys (the development tenant's own ops and auditor keys are not that)."""
    taken_over = exists().where(
        api_keys.c.revoked_at.is_(None), or_(api_keys.c.role == "admin", api_keys.c.tenant != tenant)
    )
    async with database.connect() as connection:
        return bool((await connection.execute(select(taken_over))).scalar())
