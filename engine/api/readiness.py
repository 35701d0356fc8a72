"""`GET /readyz`: whether this replica can serve now, for a load balancer or an orchestrator.

`/healthz` says the process lives. A balancer that only asked it kept sending requests to a replica
whose database or Temporal had gone, and every one answered 503. This asks both, each within
READY_SECONDS, and answers 503 naming the part that did not answer (never why: its own log says).
No key is needed, as for `/healthz`: it tells nothing about any tenant.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine.api.conversations import CLIENT, DATABASE
from engine.api.errors import ApiError

routes = web.RouteTableDef()
READY_SECONDS = 2.0


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    database, temporal = await asyncio.gather(
        _database_answers(request.app[DATABASE]), _temporal_answers(request.app[CLIENT])
    )
    down = [part for part, ok in (("database", database), ("temporal", temporal)) if not ok]
    if down:
        fields = [{"field": part, "message": "did not answer"} for part in down]
        raise ApiError(503, "not_ready", f"not ready: {', '.join(down)} did not answer", fields)
    return web.json_response({"status": "ready", "database": "ok", "temporal": "ok"})


async def _database_answers(database: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(READY_SECONDS), database.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # down, refused, timed out: all "not ready"
        return False
    return True


async def _temporal_answers(client: Client) -> bool:
    try:
        return await client.service_client.check_health(timeout=timedelta(seconds=READY_SECONDS))
    except Exception:  # RPCError, a timeout: not ready
        return False
