"""`GET /readyz`: whether this replica can serve now, for a load balancer or an orchestrator.

`/healthz` says the process lives. A balancer that only asked it kept sending requests to a replica
whose database or Temporal had gone, and every one answered 503. This asks both, each within
READY_SECONDS, and answers 503 naming the part that did not answer; why goes to the log (the
error's type: a message may hold an address). No key is needed, as for `/healthz`: it tells nothing
about any tenant. Answers are reused for REUSE_SECONDS, so a probe loop (never rate limited) costs a
database connection and a Temporal call a second at most.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Literal

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine.api.conversations import CLIENT, DATABASE
from engine.api.errors import ApiError

log = logging.getLogger("convoflow.api")
routes = web.RouteTableDef()
READY_SECONDS = 2.0
REUSE_SECONDS = 1.0


class Readiness:
    """The parts that did not answer at the last check, and when it was made."""

    def __init__(self) -> None:
        self._down: list[str] = []
        self._at = float("-inf")
        self._lock = asyncio.Lock()

    async def down(self, database: AsyncEngine, client: Client) -> list[str]:
        async with self._lock:  # probes arriving together share one check
            if time.monotonic() - self._at >= REUSE_SECONDS:
                answered = await asyncio.gather(_database_answers(database), _temporal_answers(client))
                self._down = [
                    part for part, ok in zip(("database", "temporal"), answered, strict=True) if not ok
                ]
                self._at = time.monotonic()
            return list(self._down)


READINESS = web.AppKey("readiness", Readiness)


class Live(BaseModel):
    """`GET /healthz`: the process lives (it says nothing of the database or Temporal)."""

    status: Literal["ok"]


class Ready(BaseModel):
    """`GET /readyz` when this replica can serve (a 503 problem names the part that cannot)."""

    status: Literal["ready"]
    database: Literal["ok"]
    temporal: Literal["ok"]


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    down = await request.app[READINESS].down(request.app[DATABASE], request.app[CLIENT])
    if down:
        fields = [{"field": part, "message": "did not answer"} for part in down]
        raise ApiError(503, "not_ready", f"not ready: {', '.join(down)} did not answer", fields)
    return web.json_response(Ready(status="ready", database="ok", temporal="ok").model_dump())


async def _database_answers(database: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(READY_SECONDS), database.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # down, refused, timed out: all "not ready"
        log.warning("not ready: the database did not answer (%s)", type(exc).__name__)
        return False
    return True


async def _temporal_answers(client: Client) -> bool:
    try:
        if await client.service_client.check_health(timeout=timedelta(seconds=READY_SECONDS)):
            return True
        log.warning("not ready: Temporal answered that it is not serving")
    except Exception as exc:  # RPCError, a timeout: not ready
        log.warning("not ready: Temporal did not answer (%s)", type(exc).__name__)
    return False
