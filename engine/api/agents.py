"""Agent routes: a tenant's roster (who takes which conversations), presence, and its team queues.

The roster lives in the control-plane database (engine/db/roster.py); the tenant's assignment desk
decides on it. After every write that can change a decision (an agent created, replaced or removed,
a presence change) the desk is signalled to read the roster again (engine/service/desk_client.py).
If Temporal does not take the signal the write stands and the answer is a 503: sending the same
request again is safe and tells the desk. Loads and queues come from the desk's queries.

Agents of one tenant are invisible to every other tenant: another tenant's agent id is a 404.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from engine.api.active_packs import ACTIVE_PACKS
from engine.api.auth import TENANT
from engine.api.conversation_calls import BACKSTOP_SECONDS
from engine.api.conversations import CLIENT, DATABASE, SETTINGS, read_body
from engine.api.errors import TEMPORAL_DOWN, ApiError, invalid_field, named, unavailable
from engine.api.pages import paged
from engine.contracts.assignment import AgentLoad, Presence, TeamQueue
from engine.contracts.conversation import external_id_of
from engine.contracts.ids import ID_PATTERN, is_safe_id
from engine.db.roster import RosterStore, StoredAgent
from engine.rules.pack import RulePack
from engine.service import desk_client
from engine.service.roster_rules import AgentInput, InvalidAgent, checked_agent, shown_capacity

routes = web.RouteTableDef()
DeskAnswer = Literal["answered", "not running", "not answering"]
LOADS_SECONDS = 5.0


class PresenceInput(BaseModel):
    """`PUT /v1/agents/{agent_id}/presence`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    status: Presence
    """online: takes conversations; away: keeps its conversations for the team's grace, takes none;
    offline: gone."""


class AgentView(BaseModel):
    """An agent of the caller's tenant, with its load as the desk counts it."""

    id: str
    name: str
    teams: list[str]
    skills: list[str]
    channels: list[str]
    capacity: int | dict[str, int]
    presence: Presence
    presence_reason: str
    presence_changed_at: datetime | None
    last_heartbeat_at: datetime | None
    created_at: datetime
    updated_at: datetime
    load: int | None = None
    """Assigned conversations counting toward capacity; null when not read (a write's answer) or the
    desk did not answer."""
    load_by_channel: dict[str, int] | None = None
    """The same per channel: a capacity per channel (`{"email": 5, "chat": 2}`) is measured on these,
    not on `load` (same null as `load`)."""
    assigned: list[str] | None = None
    """Conversation ids assigned to the agent (same null as `load`)."""

    @classmethod
    def of(cls, stored: StoredAgent, load: AgentLoad | None = None, counted: bool = False) -> AgentView:
        record = stored.record
        return cls(
            id=record.agent_id,
            name=record.name,
            teams=record.teams,
            skills=record.skills,
            channels=record.channels,
            capacity=shown_capacity(record.capacity),
            presence=record.presence,
            presence_reason=stored.presence_reason,
            presence_changed_at=record.presence_changed_at,
            last_heartbeat_at=record.last_heartbeat_at,
            created_at=stored.created_at,
            updated_at=stored.updated_at,
            load=(load.load if load else 0) if counted else None,
            load_by_channel=(dict(load.load_by_channel) if load else {}) if counted else None,
            assigned=([external_id_of(c) for c in load.assigned] if load else []) if counted else None,
        )


class Removed(BaseModel):
    """An agent removed from the roster (the desk requeues its conversations)."""

    id: str
    removed: Literal[True]


class AgentList(BaseModel):
    agents: list[AgentView]
    desk: DeskAnswer
    """Where loads come from: the desk `answered`; it is `not running` (nothing assigned: 0 and []);
    it is `not answering` (no worker: loads are null)."""
    next: str | None = None
    """The next page (engine/api/pages.py), null on the last."""


def _store(request: web.Request) -> RosterStore:
    return RosterStore(request.app[DATABASE])


def _agent_id(request: web.Request) -> str:
    value = request.match_info["agent_id"]
    if not is_safe_id(value):
        raise invalid_field("agent_id", f"{value[:130]!r} does not match {ID_PATTERN}")
    return value


def _not_found(agent_id: str) -> ApiError:
    return ApiError(
        404,
        "agent_not_found",
        f"no agent {agent_id!r} in this tenant",
        named("agent_id", f"no agent {agent_id!r}"),
    )


async def active_pack(request: web.Request) -> RulePack:
    """The tenant's active rule pack (the teams and skills the roster may name)."""
    return await request.app[ACTIVE_PACKS].pack_for(request[TENANT])


def _timeout(request: web.Request) -> timedelta:
    return timedelta(seconds=request.app[SETTINGS].update_timeout_seconds)


async def _tell_desk(request: web.Request, agent_id: str, *, retry_tells: bool = True) -> None:
    """Signal the desk after a roster write; 503 if Temporal does not take it (the write stands).

    `retry_tells`: sending the same request again signals again (create/replace, presence); a
    repeated delete is a 404 and a repeated heartbeat changes nothing, so for those the desk learns
    it at the next roster change or when it next reads the roster.
    """
    settings, timeout = request.app[SETTINGS], _timeout(request)
    try:
        await asyncio.wait_for(
            desk_client.signal_roster_changed(
                request.app[CLIENT], settings.task_queue, request[TENANT], agent_id, rpc_timeout=timeout
            ),
            timeout.total_seconds() + BACKSTOP_SECONDS,
        )
    except (*TEMPORAL_DOWN, TimeoutError):
        then = (
            "send the same request again to tell it"
            if retry_tells
            else "it learns it at the next roster change or when it next reads the roster"
        )
        raise unavailable(
            "temporal_unavailable",
            "the roster was saved, but Temporal did not take the news to the assignment desk, which "
            f"decides on the roster it last read: {then}",
        ) from None


async def agent_loads(request: web.Request) -> tuple[DeskAnswer, dict[str, AgentLoad]]:
    """The desk's loads; a desk that does not answer within LOADS_SECONDS costs the list its loads,
    not its answer (the roster is the database's)."""
    deadline = min(request.app[SETTINGS].update_timeout_seconds, LOADS_SECONDS)
    try:
        loads = await asyncio.wait_for(
            desk_client.query_loads(request.app[CLIENT], request[TENANT], timedelta(seconds=deadline)),
            deadline + BACKSTOP_SECONDS,
        )
    except (desk_client.DeskUnavailable, TimeoutError, *TEMPORAL_DOWN):
        # The roster itself is in the database: show it, with loads unknown rather than failing.
        return "not answering", {}
    if loads is None:
        return "not running", {}
    return "answered", {load.agent: load for load in loads}


async def waiting_teams(request: web.Request) -> list[str]:
    """The teams a conversation waits in, as the desk knows them (a pack's dropped team's too);
    none when it does not answer within LOADS_SECONDS (the pack's teams are listed anyway)."""
    deadline = min(request.app[SETTINGS].update_timeout_seconds, LOADS_SECONDS)
    try:
        return await asyncio.wait_for(
            desk_client.query_waiting_teams(
                request.app[CLIENT], request[TENANT], timedelta(seconds=deadline)
            ),
            deadline + BACKSTOP_SECONDS,
        )
    except (desk_client.DeskUnavailable, TimeoutError, *TEMPORAL_DOWN):
        return []


def _json(view: AgentView, status: int = 200) -> web.Response:
    return web.json_response(view.model_dump(mode="json"), status=status)


@routes.post("/v1/agents")
async def put_agent(request: web.Request) -> web.Response:
    """Create an agent (201) or replace its definition (200); its presence and heartbeat stay."""
    body = await read_body(request, AgentInput)
    try:
        record = checked_agent(body, await active_pack(request))
    except InvalidAgent as exc:
        fields = [{"field": p.field, "message": p.message} for p in exc.problems]
        raise ApiError(422, "invalid_request", str(exc), fields) from None
    stored, created = await _store(request).put(request[TENANT], record)
    await _tell_desk(request, record.agent_id)
    return _json(AgentView.of(stored), 201 if created else 200)


@routes.get("/v1/agents")
async def list_agents(request: web.Request) -> web.Response:
    everyone = await _store(request).list(request[TENANT])
    agents, after = paged(request, everyone, lambda a: [a.record.agent_id], 1)
    desk, loads = await agent_loads(request)
    counted = desk != "not answering"
    views = [AgentView.of(a, loads.get(a.record.agent_id), counted) for a in agents]
    return web.json_response(AgentList(agents=views, desk=desk, next=after).model_dump(mode="json"))


@routes.get("/v1/agents/{agent_id}")
async def get_agent(request: web.Request) -> web.Response:
    agent_id = _agent_id(request)
    stored = await _store(request).get(request[TENANT], agent_id)
    if stored is None:
        raise _not_found(agent_id)
    desk, loads = await agent_loads(request)
    return _json(AgentView.of(stored, loads.get(agent_id), desk != "not answering"))


@routes.delete("/v1/agents/{agent_id}")
async def delete_agent(request: web.Request) -> web.Response:
    """Remove an agent; the desk requeues its conversations when it reads the roster."""
    agent_id = _agent_id(request)
    if not await _store(request).remove(request[TENANT], agent_id):
        raise _not_found(agent_id)
    await _tell_desk(request, agent_id, retry_tells=False)
    return web.json_response(Removed(id=agent_id, removed=True).model_dump())


@routes.put("/v1/agents/{agent_id}/presence")
async def put_presence(request: web.Request) -> web.Response:
    """Set presence; `online` is also a heartbeat."""
    body = await read_body(request, PresenceInput)
    return _json(AgentView.of(await change_presence(request, _agent_id(request), body.status)))


async def change_presence(request: web.Request, agent_id: str, status: Presence) -> StoredAgent:
    """Set an agent's presence and tell the desk (404 for an agent not in the caller's tenant)."""
    stored, _ = await _store(request).set_presence(request[TENANT], agent_id, status)
    if stored is None:
        raise _not_found(agent_id)
    await _tell_desk(request, agent_id)  # even unchanged: a retry after a 503 must reach the desk
    return stored


@routes.post("/v1/agents/{agent_id}/heartbeat")
async def post_heartbeat(request: web.Request) -> web.Response:
    """The agent's client is alive: without one for CONVOFLOW_PRESENCE_TIMEOUT_SECONDS an online agent
    drops to away; the next heartbeat brings it back online (a presence set by a person stays)."""
    agent_id = _agent_id(request)
    stored, changed = await _store(request).heartbeat(request[TENANT], agent_id)
    if stored is None:
        raise _not_found(agent_id)
    if changed:
        await _tell_desk(request, agent_id, retry_tells=False)
    return _json(AgentView.of(stored))


@routes.get("/v1/teams/{team}/queue")
async def get_queue(request: web.Request) -> web.Response:
    """The team's waiting conversations in the order the desk will serve them."""
    queue = await team_queue(request, request.match_info["team"])
    return web.json_response(queue.model_dump(mode="json"))


async def team_queue(request: web.Request, team: str) -> TeamQueue:
    """The desk's queue of a team of the active pack, or of a team a pack dropped while conversations
    still wait in it (they were listed as waiting and their queue answered 404); 404 for another
    name, 503 if no answer."""
    pack = await active_pack(request)
    timeout = _timeout(request)
    try:
        queue = await asyncio.wait_for(
            desk_client.query_queue(request.app[CLIENT], request[TENANT], team, timeout),
            timeout.total_seconds() + BACKSTOP_SECONDS,
        )
    except (desk_client.DeskUnavailable, TimeoutError):
        raise unavailable(
            "worker_unavailable", "the assignment desk did not answer (no worker?); retry"
        ) from None
    except TEMPORAL_DOWN:
        raise unavailable("temporal_unavailable", "Temporal did not answer; retry") from None
    # The desk knows conversations by workflow id; callers address them by their own id.
    shown = TeamQueue.model_validate(queue)
    if team not in pack.teams and not shown.entries:
        known = ", ".join(sorted(pack.teams)) or "none"
        raise ApiError(
            404,
            "team_not_found",
            f"no team {team[:64]!r} in the active rule pack (its teams: {known})",
            named("team", f"no team {team[:64]!r}"),
        )
    for entry in shown.entries:
        entry.conversation_id = external_id_of(entry.conversation_id)
    return shown
