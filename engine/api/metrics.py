"""`GET /metrics`: the process's counters and, read at scrape time, what the service holds now.

Access: with CONVOFLOW_METRICS_TOKEN set, a scraper sends it as `Authorization: Bearer <token>`
(the tenants' API keys do not open it: the numbers span every tenant); unset, only clients on the
loopback interface get an answer: a scraper on the same host. A request a proxy forwarded (it
carries `Forwarded`, `X-Forwarded-For` or `X-Real-IP`) is not one, though it reaches us from
127.0.0.1: a TLS proxy in front of the API on the same host would otherwise open every tenant's
names and volumes to the internet.

The counters come from engine.service.metrics' registry (in `convoflow up` the worker records into
it too). The gauges of the present are asked for at each scrape, so they are never stale and no
process has to keep them: open conversations by team (Temporal visibility counts), queue depth by
team (the tenant's assignment desk), agents by presence (the roster table). The tenants and teams
they iterate over are the control plane's own (tenants table, roster), so the label sets stay
bounded and carry no personal data.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import timedelta
from typing import TypeVar, get_args

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine.api.conversations import CLIENT, DATABASE, SETTINGS
from engine.api.errors import ApiError, Handler, named, route_of
from engine.contracts.assignment import Presence
from engine.db.keys import list_tenants
from engine.db.roster import RosterStore, StoredAgent
from engine.service.desk_client import query_queue
from engine.service.metrics import HTTP_REQUESTS, REGISTRY

METRICS_PATH = "/metrics"
# Statuses a conversation counts as open in: not yet solved or closed (the backlog).
OPEN_STATUSES = ("open", "pending", "on_hold")
# One scrape asks this long at most for any one number; a number that did not come is left out
# and counted in convoflow_scrape_errors (Prometheus then shows a gap, never a made-up zero).
PART_DEADLINE = timedelta(seconds=5)
PARALLEL_QUESTIONS = 8
# Teams are put into a visibility query; names of another shape are left out of the counts.
QUERYABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$")

# A proxy names the client it forwards in one of these: that client is not on this host.
FORWARDED_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")

routes = web.RouteTableDef()
T = TypeVar("T")


def check_access(request: web.Request, token: SecretStr | None) -> None:
    """401 without the configured token; 403 for a remote client when no token is configured."""
    if token is not None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise ApiError(
                401,
                "unauthorized",
                "metrics need `Authorization: Bearer <CONVOFLOW_METRICS_TOKEN>`",
                named("Authorization", "missing or wrong metrics token"),
            )
        return
    if not _loopback(request.remote) or any(h in request.headers for h in FORWARDED_HEADERS):
        raise ApiError(
            403,
            "forbidden",
            "without CONVOFLOW_METRICS_TOKEN, /metrics answers only to loopback clients (not through "
            "a proxy)",
            named("Authorization", "set CONVOFLOW_METRICS_TOKEN to scrape from elsewhere"),
        )


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def exposition(*collectors: object) -> web.Response:
    body = b"".join(generate_latest(c) for c in collectors)  # type: ignore[arg-type]
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


@routes.get(METRICS_PATH)
async def metrics(request: web.Request) -> web.Response:
    check_access(request, request.app[SETTINGS].metrics_token)
    present = await Present.read(request.app[CLIENT], request.app[DATABASE])
    return exposition(REGISTRY, present)


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every answered request by route pattern and status, as the client got it: outermost, so
    an exception is counted as the answer `json_errors` made of it (a database outage's 503 was
    counted as a 500)."""
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except ApiError as exc:
        status = exc.status
        raise
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        if request.path != METRICS_PATH:
            HTTP_REQUESTS.labels(request.method, route_of(request), str(status)).inc()


class Present:
    """The gauges of one scrape, read before it is written out (collectors cannot await)."""

    def __init__(self) -> None:
        self.open = GaugeMetricFamily(
            "convoflow_open_conversations",
            "Conversations open, pending or on hold, by the team they are routed to (teams of the roster).",
            labels=["tenant", "team"],
        )
        self.open_all = GaugeMetricFamily(
            "convoflow_open_conversations_all",
            "Conversations open, pending or on hold, routed or not.",
            labels=["tenant"],
        )
        self.queue = GaugeMetricFamily(
            "convoflow_queue_depth",
            "Conversations waiting in a team's queue at the assignment desk.",
            labels=["tenant", "team"],
        )
        self.agents = GaugeMetricFamily(
            "convoflow_agents", "Agents of the roster by presence.", labels=["tenant", "presence"]
        )
        self.errors: dict[str, int] = {"tenants": 0, "open_conversations": 0, "queue_depth": 0, "agents": 0}

    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily(
            "convoflow_scrape_errors",
            "Numbers this scrape could not read (left out above), by part.",
            labels=["part"],
        )
        for part, count in sorted(self.errors.items()):
            errors.add_metric([part], count)
        yield from (self.open, self.open_all, self.queue, self.agents, errors)

    @classmethod
    async def read(cls, client: Client, database: AsyncEngine) -> Present:
        present = cls()
        gate = asyncio.Semaphore(PARALLEL_QUESTIONS)
        tenants = await present._ask(gate, "tenants", lambda: list_tenants(database))
        if tenants is None:  # the database is down: the counters still go out
            return present
        await asyncio.gather(*(present._tenant(client, database, t, gate) for t in tenants))
        return present

    async def _tenant(
        self, client: Client, database: AsyncEngine, tenant: str, gate: asyncio.Semaphore
    ) -> None:
        agents = await self._ask(gate, "agents", lambda: RosterStore(database).list(tenant))
        if agents is None:
            return
        self._count_presence(tenant, agents)
        teams = sorted({team for agent in agents for team in agent.record.teams if QUERYABLE.match(team)})
        base = (
            f"WorkflowType = 'ConversationWorkflow' AND ExecutionStatus = 'Running' "
            f"AND ConvoTenant = '{tenant}' AND ConvoStatus IN ({', '.join(repr(s) for s in OPEN_STATUSES)})"
        )
        total = await self._ask(gate, "open_conversations", lambda: _count(client, base))
        if total is not None:
            self.open_all.add_metric([tenant], total)

        async def team_numbers(team: str) -> None:
            query = f"{base} AND ConvoTeam = '{team}'"
            count = await self._ask(gate, "open_conversations", lambda: _count(client, query))
            if count is not None:
                self.open.add_metric([tenant, team], count)
            queued = await self._ask(
                gate, "queue_depth", lambda: query_queue(client, tenant, team, PART_DEADLINE)
            )
            if queued is not None:
                self.queue.add_metric([tenant, team], len(queued.entries))

        await asyncio.gather(*(team_numbers(team) for team in teams))

    def _count_presence(self, tenant: str, agents: Iterable[StoredAgent]) -> None:
        counts = dict.fromkeys(get_args(Presence), 0)
        for agent in agents:
            counts[agent.record.presence] = counts.get(agent.record.presence, 0) + 1
        for presence, count in counts.items():
            self.agents.add_metric([tenant, presence], count)

    async def _ask(
        self, gate: asyncio.Semaphore, part: str, question: Callable[[], Awaitable[T]]
    ) -> T | None:
        async with gate:
            try:
                async with asyncio.timeout(PART_DEADLINE.total_seconds()):
                    return await question()
            except Exception:  # one unanswered number must not cost the scrape the others
                self.errors[part] += 1
                return None


async def _count(client: Client, query: str) -> int:
    return (await client.count_workflows(query, rpc_timeout=PART_DEADLINE)).count
