"""A tenant's webhook signing secrets, per channel, in the control-plane database (table webhook_secrets).

Each tenant signs its gateway's webhooks with its own secret per channel, so one tenant's secret can
never post into another tenant. Rotation adds a new secret and gives the previous ones of that channel
a `retires_at` (now + overlap): until then both verify, so a gateway can switch over without dropping
webhooks; afterwards only the new one does. The newest secret of a channel never retires by itself.

A channel the tenant has no secret of its own for falls back to the deployment's
CONVOFLOW_GATEWAY_SECRET, inbound (engine/api/inbound_webhook.py) as outbound (`signing`): single-tenant
deployments keep working, and a channel's first rotation takes that channel off the shared secret.
(The first rotation of one channel took every channel off it inbound, while outbound the others kept
signing with it: a gateway lost its chat, SMS and social webhooks when WhatsApp's was rotated.)

Secrets are stored in clear, unlike API keys: verifying an HMAC needs the key itself. They are printed
once, when created, and never listed.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.schema import tenants, webhook_secrets

DEFAULT_OVERLAP = timedelta(hours=24)
SECRET_PREFIX = "whsec_"


class UnknownTenant(ValueError):
    """A secret asked for a tenant that was never created."""


@dataclass(frozen=True, kw_only=True)
class SecretInfo:
    """What may be shown about a secret: never the secret."""

    secret_id: str
    """Public id, for listing."""
    tenant: str
    channel: str
    created_at: datetime
    retires_at: datetime | None = None
    """When it stops verifying; None while it is its channel's newest."""


@dataclass(frozen=True, kw_only=True)
class ValidSecret:
    """A secret that verifies now, with the channel it is good for."""

    channel: str
    secret: str


def new_secret() -> str:
    """256 random bits in the Standard Webhooks form (`whsec_` + base64), as gateways expect them."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookSecrets:
    def __init__(self, database: AsyncEngine) -> None:
        self._database = database

    async def rotate(
        self, tenant: str, channel: str, overlap: timedelta = DEFAULT_OVERLAP
    ) -> tuple[SecretInfo, str]:
        """A new secret for the tenant's channel (returned once, kept only here), and the channel's
        older secrets retiring at now + overlap at the latest (an earlier retirement stays)."""
        if overlap < timedelta(0):
            raise ValueError("overlap must not be negative")
        now = datetime.now(UTC)
        retires = now + overlap
        secret = new_secret()
        info = SecretInfo(
            secret_id="ws_" + secrets.token_hex(8), tenant=tenant, channel=channel, created_at=now
        )
        try:
            async with self._database.begin() as connection:
                # Rotations of one tenant take turns (PostgreSQL locks its row; SQLite has one writer),
                # so each sees the other's new secret and exactly one stays the newest.
                await connection.execute(
                    select(tenants.c.tenant).where(tenants.c.tenant == tenant).with_for_update()
                )
                await connection.execute(
                    update(webhook_secrets)
                    .where(
                        webhook_secrets.c.tenant == tenant,
                        webhook_secrets.c.channel == channel,
                        or_(webhook_secrets.c.retires_at.is_(None), webhook_secrets.c.retires_at > retires),
                    )
                    .values(retires_at=retires)
                )
                await connection.execute(
                    insert(webhook_secrets).values(
                        secret_id=info.secret_id,
                        tenant=tenant,
                        channel=channel,
                        secret=secret,
                        created_at=now,
                    )
                )
        except IntegrityError:  # the foreign key: ids are random and never collide in practice
            raise UnknownTenant(f"no tenant {tenant!r}: create it with `convoflow tenant create`") from None
        return info, secret

    async def retire(self, tenant: str, secret_id: str, at: datetime) -> bool:
        """Set when a secret stops verifying (to end an overlap early); False when there is no such
        secret of the tenant."""
        async with self._database.begin() as connection:
            changed = await connection.execute(
                update(webhook_secrets)
                .where(webhook_secrets.c.tenant == tenant, webhook_secrets.c.secret_id == secret_id)
                .values(retires_at=at)
            )
            return changed.rowcount == 1

    async def list_for(self, tenant: str) -> list[SecretInfo]:
        """The tenant's secrets, retired ones included (for the audit trail), without the secrets."""
        async with self._database.connect() as connection:
            rows = await connection.execute(
                select(
                    webhook_secrets.c.secret_id,
                    webhook_secrets.c.tenant,
                    webhook_secrets.c.channel,
                    webhook_secrets.c.created_at,
                    webhook_secrets.c.retires_at,
                )
                .where(webhook_secrets.c.tenant == tenant)
                .order_by(
                    webhook_secrets.c.channel, webhook_secrets.c.created_at, webhook_secrets.c.secret_id
                )
            )
            return [
                SecretInfo(
                    secret_id=row.secret_id,
                    tenant=row.tenant,
                    channel=row.channel,
                    created_at=row.created_at,
                    retires_at=row.retires_at,
                )
                for row in rows
            ]

    async def valid(self, tenant: str, now: datetime | None = None) -> tuple[set[str], list[ValidSecret]]:
        """The channels the tenant has secrets of its own for, and those secrets that verify at `now`."""
        now = now or datetime.now(UTC)
        async with self._database.connect() as connection:
            rows = (
                await connection.execute(
                    select(webhook_secrets.c.channel, webhook_secrets.c.secret, webhook_secrets.c.retires_at)
                    .where(webhook_secrets.c.tenant == tenant)
                    .order_by(webhook_secrets.c.created_at.desc())
                )
            ).all()
        good = [
            ValidSecret(channel=row.channel, secret=row.secret)
            for row in rows
            if row.retires_at is None or row.retires_at > now
        ]
        return {row.channel for row in rows}, good

    async def signing(self, tenant: str, channel: str) -> list[str]:
        """The secrets outbound messages of the tenant's channel are signed with: its valid ones,
        newest first; empty when it has none of its own for the channel (the gateway secret signs)."""
        _, valid = await self.valid(tenant)
        return [s.secret for s in valid if s.channel == channel]
