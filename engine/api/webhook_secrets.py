"""A tenant's webhook secrets through the API, for its `admin` keys: rotate one channel's, list them.

The same as `convoflow webhook-secret rotate|list` (engine/cli/webhook_secrets.py), for the tenant of
the key: the new secret is in the rotate answer once and never again; the list shows ids, channels
and dates, never a secret.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.api.auth import TENANT
from engine.api.conversations import DATABASE, read_body
from engine.api.errors import invalid_field
from engine.api.pages import paged
from engine.contracts.conversation import Channel
from engine.db.webhook_secrets import DEFAULT_OVERLAP, SecretInfo, WebhookSecrets

routes = web.RouteTableDef()
MAX_OVERLAP_HOURS = 24 * 30  # a month: longer means the old secret is not really being retired


class RotateSecret(BaseModel):
    """Optional body of a rotation."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    overlap_hours: float = Field(
        default=DEFAULT_OVERLAP.total_seconds() / 3600, ge=0, le=MAX_OVERLAP_HOURS, strict=True
    )
    """How long the channel's previous secrets keep verifying; 0 retires them at once (a leak)."""


class SecretView(BaseModel):
    """A webhook secret as its tenant's admin sees it: never the secret, but once when made."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    secret_id: str
    channel: str
    created_at: str
    retires_at: str | None
    """When it stops verifying; null while it is its channel's newest."""

    @classmethod
    def of(cls, info: SecretInfo) -> SecretView:
        return cls(
            secret_id=info.secret_id,
            channel=info.channel,
            created_at=info.created_at.isoformat(),
            retires_at=info.retires_at.isoformat() if info.retires_at else None,
        )


class NewSecret(SecretView):
    secret: str | None = None
    """The secret, shown this once (`Cache-Control: no-store`): an idempotent replay of the answer
    (`Idempotent-Replayed: true`) comes without it."""


class SecretList(BaseModel):
    secrets: list[SecretView]
    next: str | None


@routes.post("/v1/webhook-secrets/{channel}/rotate")
async def rotate_secret(request: web.Request) -> web.Response:
    channel = request.match_info["channel"]
    if channel not in {c.value for c in Channel}:
        raise invalid_field("channel", f"one of {', '.join(c.value for c in Channel)}")
    body = await read_body(request, RotateSecret) if request.body_exists else RotateSecret()
    database, tenant = request.app[DATABASE], request[TENANT]
    info, secret = await WebhookSecrets(database).rotate(tenant, channel, timedelta(hours=body.overlap_hours))
    # The one time the secret exists outside the database: no cache (nor an idempotent replay) keeps it.
    shown = NewSecret(**SecretView.of(info).model_dump(), secret=secret)
    return web.json_response(shown.model_dump(mode="json"), status=201, headers={"Cache-Control": "no-store"})


@routes.get("/v1/webhook-secrets")
async def list_secrets(request: web.Request) -> web.Response:
    secrets = await WebhookSecrets(request.app[DATABASE]).list_for(request[TENANT])
    shown, after = paged(
        request, secrets, lambda info: [info.channel, info.created_at.isoformat(), info.secret_id], 3
    )
    listed = SecretList(secrets=[SecretView.of(info) for info in shown], next=after)
    return web.json_response(listed.model_dump(mode="json"))
