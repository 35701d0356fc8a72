"""A tenant's API keys, managed by its admin: list, create (the key is shown once), revoke.

Only keys in the database are listed: keys from settings (CONVOFLOW_API_KEYS) belong to whoever
deploys and change with the deployment. A key id of another tenant answers 404, as if it did not
exist. A revoked key stops working on every API replica within engine.api.auth.CACHE_SECONDS.
"""

from __future__ import annotations

import re
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.api.auth import STORED_KEYS, TENANT
from engine.api.conversations import DATABASE, read_body
from engine.api.errors import ApiError, invalid_field, named
from engine.api.pages import paged
from engine.api.schemas import Strict
from engine.db.keys import KeyInfo, create_key, list_keys, revoke_key

routes = web.RouteTableDef()
KEY_ID = re.compile(r"^k_[0-9a-f]{16}$")


class CreateKey(Strict):
    role: Literal["admin", "ops", "auditor", "integrator"] = Field(description="What the key may do.")


class KeyView(BaseModel):
    """A key as its tenant's admin sees it: never the key itself, which exists only with its holder."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    key_id: str
    role: str
    created_at: str
    revoked_at: str | None
    """When it stopped working; null while it works."""

    @classmethod
    def of(cls, info: KeyInfo) -> KeyView:
        return cls(
            key_id=info.key_id,
            role=info.role,
            created_at=info.created_at.isoformat(),
            revoked_at=info.revoked_at.isoformat() if info.revoked_at else None,
        )


class NewKey(KeyView):
    key: str | None = None
    """The key, shown this once (`Cache-Control: no-store`); only its SHA-256 is stored, so an
    idempotent replay of the answer (`Idempotent-Replayed: true`) comes without it."""


class KeyList(BaseModel):
    keys: list[KeyView]
    next: str | None


class RevokedKey(BaseModel):
    key_id: str
    revoked: Literal[True]


@routes.get("/v1/keys")
async def list_tenant_keys(request: web.Request) -> web.Response:
    keys = await list_keys(request.app[DATABASE], request[TENANT])
    shown, after = paged(request, keys, lambda info: [info.created_at.isoformat(), info.key_id], 2)
    return web.json_response(KeyList(keys=[KeyView.of(i) for i in shown], next=after).model_dump(mode="json"))


@routes.post("/v1/keys")
async def create_tenant_key(request: web.Request) -> web.Response:
    body = await read_body(request, CreateKey, 4096)
    info, key = await create_key(request.app[DATABASE], request[TENANT], body.role)
    # The one time the key exists outside its holder: no cache may keep a copy.
    shown = NewKey(**KeyView.of(info).model_dump(), key=key)
    return web.json_response(shown.model_dump(mode="json"), status=201, headers={"Cache-Control": "no-store"})


@routes.delete("/v1/keys/{key_id}")
async def revoke_tenant_key(request: web.Request) -> web.Response:
    key_id = request.match_info["key_id"]
    if not KEY_ID.match(key_id):
        raise invalid_field("key_id", f"must match {KEY_ID.pattern}")
    if not await revoke_key(request.app[DATABASE], key_id, tenant=request[TENANT]):
        missing = "no active key with this id in your tenant"
        raise ApiError(404, "key_not_found", missing, named("key_id", missing))
    request.app[STORED_KEYS].forget(key_id)
    return web.json_response(RevokedKey(key_id=key_id, revoked=True).model_dump(mode="json"))
