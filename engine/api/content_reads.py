"""Who read a customer's data: one log line for every answer that shows it.

A data-protection officer asked "who read this conversation?" found nothing (helper-109): the API
runs without an access log (its lines would carry ids and query strings for every request), so the
reads of personal data went unrecorded. Each read of a conversation, its trail, threads, export or
timeline, and of a quarantined mail, is one INFO line on `convoflow.access` (a data subject's
request is one too, whatever its answer: engine/api/customers.py): the key's id (never the
key), its role and tenant, the route's pattern and the id read. Conversation ids are no personal data
(README: use opaque ids); nothing the customer wrote is in the line.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from engine.api.auth import KEY_ID, ROLE, TENANT
from engine.api.errors import route_of

log = logging.getLogger("convoflow.access")

# Routes whose answer holds what a customer wrote or who they are, and the id each names.
SHOWS_PERSONAL_DATA: dict[str, str | None] = {
    "/v1/quarantine": None,  # the held mail's senders and subjects
    "/v1/conversations/{conversation_id}": "conversation_id",
    "/v1/conversations/{conversation_id}/decisions": "conversation_id",
    "/v1/conversations/{conversation_id}/threads": "conversation_id",
    "/v1/conversations/{conversation_id}/export": "conversation_id",
    "/v1/conversations/{conversation_id}/timeline": "conversation_id",
    "/v1/quarantine/{quarantine_id}": "quarantine_id",
    "/v1/quarantine/{quarantine_id}/raw": "quarantine_id",
    "/console/conversations/{conversation_id}": "conversation_id",
}


@web.middleware
async def record_reads(request: web.Request, handler: Handler) -> web.StreamResponse:
    answer = await handler(request)
    if request.method == "GET" and answer.status == 200:
        route = route_of(request)
        if route in SHOWS_PERSONAL_DATA:
            named = SHOWS_PERSONAL_DATA[route]
            log.info(
                "read %s %s by key %s (%s, tenant %s)",
                route,
                request.match_info.get(named, "?") if named else "-",
                request.get(KEY_ID, "?"),
                request.get(ROLE, "?"),
                request.get(TENANT, "?"),
            )
    return answer
