"""`GET /readyz`: whether this replica can serve now, for a load balancer or an orchestrator.

`/healthz` says the process lives. A balancer that only asked it kept sending requests to a replica
whose database or Temporal had gone, and every one answered 503. This asks both, each within
READY_SECONDS, and whether any worker polls this replica's task queue (an API started with a
mistyped `CONVOFLOW_TASK_QUEUE` said ready, and every conversation it began waited for ever on a
queue no worker reads); it answers 503 naming the part that did not answer; why goes to the log
(the error's type: a message may hold an address). No key is needed, as for `/healthz`: it tells
nothing about any tenant. Answers are reused for REUSE_SECONDS, so a probe loop (never rate
limited) costs a database connection and two Temporal calls a second at most.

Temporal lists a worker for five minutes after its last poll: a fleet that stopped is seen within
that, a queue nobody ever polled at once.
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
from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from engine.api.conversations import CLIENT, DATABASE, SETTINGS
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

    async def down(self, database: AsyncEngine, client: Client, task_queue: str) -> list[str]:
        async with self._lock:  # probes arriving together share one check
            if time.monotonic() - self._at >= REUSE_SECONDS:
                database_ok, temporal_ok, workers = await asyncio.gather(
                    _database_answers(database), _temporal_answers(client), _workers_poll(client, task_queue)
                )
                # A task queue that could not be described is Temporal's failure, not the workers'.
                temporal_ok = temporal_ok and workers is not None
                parts = {"database": database_ok, "temporal": temporal_ok}
                if temporal_ok:  # the workers are asked of a Temporal that answered
                    parts["workers"] = bool(workers)
                self._down = [part for part, ok in parts.items() if not ok]
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
    workers: Literal["ok"]
    """A worker polled this replica's task queue within the last five minutes."""


WHY = {"workers": "no worker polls task queue {queue} (CONVOFLOW_TASK_QUEUE)"}


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    queue = request.app[SETTINGS].task_queue
    down = await request.app[READINESS].down(request.app[DATABASE], request.app[CLIENT], queue)
    if down:
        why = {part: WHY.get(part, "did not answer").format(queue=queue) for part in down}
        said = "; ".join(message if part in WHY else f"{part} {message}" for part, message in why.items())
        fields = [{"field": part, "message": message} for part, message in why.items()]
        raise ApiError(503, "not_ready", f"not ready: {said}", fields)
    return web.json_response(Ready(status="ready", database="ok", temporal="ok", workers="ok").model_dump())


async def _database_answers(database: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(READY_SECONDS), database.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # down, refused, timed out: all "not ready"
        log.warning("not ready: the database did not answer (%s)", type(exc).__name__)
        return False
    return True


async def _workers_poll(client: Client, task_queue: str) -> bool | None:
    """Whether a worker polled the queue lately; None when Temporal would not say (down, denied)."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    try:
        answer = await client.workflow_service.describe_task_queue(
            request, timeout=timedelta(seconds=READY_SECONDS)
        )
    except Exception as exc:  # Temporal down or the call denied: said as "temporal"
        log.warning("not ready: the task queue could not be described (%s)", type(exc).__name__)
        return None
    if answer.pollers:
        return True
    log.warning("not ready: no worker polls task queue %s", task_queue)
    return False


async def _temporal_answers(client: Client) -> bool:
    try:
        if await client.service_client.check_health(timeout=timedelta(seconds=READY_SECONDS)):
            return True
        log.warning("not ready: Temporal answered that it is not serving")
    except Exception as exc:  # RPCError, a timeout: not ready
        log.warning("not ready: Temporal did not answer (%s)", type(exc).__name__)
    return False
