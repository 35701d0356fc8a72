"""Where a process's metrics are served when it is not the API: the worker's port, the SDK's runtime.

Which process serves what (README, Metrics):
- the API's GET /metrics: its own counters (messages in, requests) and the gauges of the present;
  in `convoflow up` the worker runs in the same process and records into the same registry, so
  that one endpoint has every convoflow number;
- a separate `convoflow worker`: its counters (decisions, actions, SLA events, deliveries, activity
  failures and retries) on CONVOFLOW_WORKER_METRICS_PORT, same access rule as the API's;
- the Temporal SDK's own worker metrics (slots, polls, task latencies) on
  CONVOFLOW_TEMPORAL_METRICS_ADDRESS, served by the SDK's Rust core (temporalio.runtime).
"""

from __future__ import annotations

import socket

from aiohttp import web
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from engine.api.conversations import SETTINGS
from engine.api.errors import json_errors
from engine.api.metrics import METRICS_PATH, check_access, exposition
from engine.service.config import Settings
from engine.service.connection_guard import GuardedAppRunner
from engine.service.listening import sites
from engine.service.metrics import REGISTRY

_runtimes: dict[str, Runtime] = {}


def temporal_runtime(settings: Settings) -> Runtime | None:
    """The SDK runtime exporting its metrics on the configured address; None: the SDK's default.

    One per address and process: the runtime binds the port when it is created.
    """
    address = settings.temporal_metrics_address
    if address is None:
        return None
    if address not in _runtimes:
        telemetry = TelemetryConfig(metrics=PrometheusConfig(bind_address=address))
        _runtimes[address] = Runtime(telemetry=telemetry)
    return _runtimes[address]


async def _worker_metrics(request: web.Request) -> web.Response:
    check_access(request, request.app[SETTINGS].metrics_token)
    return exposition(REGISTRY)


async def serve_worker_metrics(
    settings: Settings, sockets: list[socket.socket] | None = None
) -> web.AppRunner | None:
    """The worker's /metrics on its port (on `sockets` when the process took it at its start, see
    engine/service/listening.py), or None when CONVOFLOW_WORKER_METRICS_PORT is unset."""
    if settings.worker_metrics_port is None:
        return None
    app = web.Application(middlewares=[json_errors])
    app[SETTINGS] = settings
    app.router.add_get(METRICS_PATH, _worker_metrics)
    runner = GuardedAppRunner(app, share=0.05)  # Prometheus scrapes: a few connections
    await runner.setup()
    for site in sites(runner, sockets, settings.worker_metrics_host, settings.worker_metrics_port):
        await site.start()
    return runner
