"""`GET /v1/conversations/{id}/timeline`: the conversation's timeline page, for the auditor role only.

HTML, not JSON: an auditor opens it in a browser (engine/service/audit_timeline.py renders it).
Errors stay JSON like every other route's. The page is built from one state query (a query may cost
the worker a replay) and the conversation's pack, always inside the caller's tenant.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from engine.api.conversations import DATABASE, call_workflow, external_id, handle_for
from engine.service.audit_timeline import timeline_page
from workflows.conversation.workflow import ConversationWorkflow

routes = web.RouteTableDef()
# The page holds no script and loads nothing: a browser may run none and fetch nothing for it.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


@routes.get("/v1/conversations/{conversation_id}/timeline")
async def get_timeline(request: web.Request) -> web.Response:
    return await timeline_response(request)


async def timeline_response(request: web.Request, links: Sequence[tuple[str, str]] = ()) -> web.Response:
    """The page, headed by `links` where a site shows it (the console's navigation)."""
    ext_id = external_id(request)
    handle = handle_for(request, ext_id)
    state = await call_workflow(
        request, lambda deadline: handle.query(ConversationWorkflow.state, rpc_timeout=deadline), handle
    )
    page = await timeline_page(state, request.app[DATABASE], links=links)
    return web.Response(
        text=page,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": _POLICY, "Cache-Control": "no-store"},
    )
