"""`GET /v1/conversations/{id}/export`: a conversation's sealed audit bundle, for the auditor role only.

The same document `convoflow audit export` writes (engine/service/audit_bundle.py): every run's
history, the packs by hash, the decision trail chained under the audit key, and the manifest. Only
inside the caller's tenant (the workflow id carries it), so another tenant's conversation is a 404.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from engine.api.auth import TENANT
from engine.api.conversation_calls import NOT_FOUND
from engine.api.conversations import CLIENT, DATABASE, SETTINGS, call_workflow, external_id
from engine.api.errors import ApiError, named, unavailable
from engine.service import audit_bundle
from engine.service.audit_key import AuditKeyError, audit_key_of

routes = web.RouteTableDef()


class AuditBundle(BaseModel):
    """A sealed audit bundle (README, Auditing): check it offline with `convoflow audit verify`."""

    manifest: dict[str, Any] = Field(
        description="Conversation, tenant, export time, exporter version, run ids, pack hashes, files "
        "with their SHA-256, the decision chain's length and last link, and the keyed seal."
    )
    files: dict[str, Any] = Field(
        description="`history/<run id>.json` (Temporal's JSON history), `packs/<hash>.json` and "
        "`decisions.json`."
    )


@routes.get("/v1/conversations/{conversation_id}/export")
async def get_export(request: web.Request) -> web.Response:
    ext_id = external_id(request)
    try:
        key = audit_key_of(request.app[SETTINGS])
    except AuditKeyError:
        raise unavailable("audit_key_unset", "the service has no audit key (CONVOFLOW_AUDIT_KEY)") from None
    client, database, tenant = request.app[CLIENT], request.app[DATABASE], request[TENANT]
    try:
        bundle = await call_workflow(
            request, lambda _deadline: audit_bundle.export(client, database, tenant, ext_id, key)
        )
    except audit_bundle.ConversationNotFound:
        raise ApiError(404, "conversation_not_found", NOT_FOUND, named("conversation_id")) from None
    except (OSError, SQLAlchemyError):
        raise unavailable("database_unavailable", "cannot read the rule packs now; retry") from None
    # Megabytes for a long conversation: encoded off the event loop (10 exports at once held every
    # other request up to 3 s). Not cached on the way: a bundle holds what the rules read.
    text = await asyncio.to_thread(json.dumps, bundle)
    return web.json_response(text=text, headers={"Cache-Control": "no-store"})
