"""The console's floor pages: the live queues and agents, the conversation list and each timeline.

The queue view asks the tenant's assignment desk, as `GET /v1/teams/{team}/queue` and
`GET /v1/agents` do (engine/api/agents.py); a desk that does not answer costs the page its live
figures, not the page. Setting an agent's presence is the one change made here: a form with the
session's CSRF token, for ops and admin keys (engine/api/roles.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_args

from aiohttp import web

from engine.api.agents import active_pack, agent_loads, change_presence, team_queue, waiting_teams
from engine.api.audit_timeline import timeline_response
from engine.api.auth import ROLE, TENANT
from engine.api.console.render import page, see_other
from engine.api.console.sessions import SESSION
from engine.api.conversation_reads import conversation_summaries
from engine.api.conversations import DATABASE, SETTINGS
from engine.api.errors import ApiError, invalid_field
from engine.contracts.assignment import Presence, QueueEntry
from engine.contracts.conversation import Channel, Status
from engine.contracts.ids import ID_PATTERN, is_safe_id
from engine.db.roster import HEARTBEAT_TIMEOUT, RosterStore
from engine.rules.context import Priority
from engine.service.roster_rules import shown_capacity

routes = web.RouteTableDef()
PRESENCES: tuple[str, ...] = get_args(Presence)
LIST_FILTERS = (
    "status",
    "channel",
    "priority",
    "team",
    "assignee",
    "assigned",
    "sla_breached",
    "tag",
    "language",
)
CHANGES_PRESENCE = frozenset({"ops", "admin"})
# The navigation of base.html.j2, for the one page it does not render (a conversation's timeline).
CONSOLE_LINKS = (
    ("KPIs", "/console/"),
    ("Queues", "/console/queue"),
    ("Conversations", "/console/conversations"),
    ("Rules", "/console/rules"),
)


@dataclass(frozen=True)
class Waiting:
    entry: QueueEntry
    waited: str
    to_breach: str
    breached: bool


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _waiting(entry: QueueEntry, now: datetime) -> Waiting:
    waited = _span((now - entry.waiting_since).total_seconds())
    if entry.breach_at is None:  # no policy, or its clocks paused (pending, on hold): it read "no SLA"
        return Waiting(entry, waited, "no SLA clock running", False)
    left = (entry.breach_at - now).total_seconds()
    return Waiting(entry, waited, f"breached {_span(left)} ago" if left < 0 else _span(left), left < 0)


@routes.get("/console/queue")
async def queue(request: web.Request) -> web.Response:
    now = datetime.now(UTC)
    teams = []
    active = set((await active_pack(request)).teams)
    # A team the active pack dropped keeps the conversations waiting in it: listed too, or nobody saw them.
    for team in sorted(active | set(await waiting_teams(request))):
        shown: dict[str, Any] = {"name": team, "waiting": [], "error": None, "dropped": team not in active}
        try:
            shown["waiting"] = [_waiting(e, now) for e in (await team_queue(request, team)).entries]
        except ApiError as exc:
            shown["error"] = exc.message
        teams.append(shown)
    desk, loads = await agent_loads(request)
    agents = []
    for stored in await RosterStore(request.app[DATABASE]).list(request[TENANT]):
        record, load = stored.record, loads.get(stored.record.agent_id)
        agents.append(
            {
                "id": record.agent_id,
                "name": record.name,
                "teams": record.teams,
                "presence": record.presence,
                # away because the agent's client went silent, not because a person said so
                "timed_out": stored.presence_reason == HEARTBEAT_TIMEOUT,
                "last_heartbeat_at": record.last_heartbeat_at,
                "load": (load.load if load else 0) if desk != "not answering" else None,
                "by_channel": load.load_by_channel if load else {},
                "capacity": shown_capacity(record.capacity),
            }
        )
    return page(
        request,
        "queue.html.j2",
        {
            "session": request[SESSION],
            "teams": teams,
            "agents": agents,
            "desk": desk,
            "presences": PRESENCES,
            "may_change": request[ROLE] in CHANGES_PRESENCE,
            "heartbeat_timeout": request.app[SETTINGS].presence_timeout_seconds,
        },
    )


@routes.post("/console/agents/{agent_id}/presence")
async def set_presence(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    if not is_safe_id(agent_id):
        raise invalid_field("agent_id", f"must match {ID_PATTERN}")
    status = (await request.post()).get("status")
    if status not in PRESENCES:
        raise invalid_field("status", f"one of {', '.join(PRESENCES)}")
    await change_presence(request, agent_id, status)  # type: ignore[arg-type]  # checked just above
    return see_other(f"/console/queue#agent-{agent_id}")  # back at the row, keyboard focus with it


@routes.get("/console/conversations")
async def conversations(request: web.Request) -> web.Response:
    chosen = {name: request.query[name] for name in LIST_FILTERS if request.query.get(name)}
    error = None
    try:
        query = dict(chosen)
        if "assignee" in query:  # a person types a name ("Ana", "ana lopez"): the list filters by id
            query["assignee"] = await _agent_id_of(request, query["assignee"])
        found, after = await conversation_summaries(request, query)
    except ApiError as exc:
        if exc.status != 422:
            raise
        # A typo in a text box (assignee, tag, language): said on the page with the form, not as JSON.
        found, after, error = [], None, exc.message
    return page(
        request,
        "conversations.html.j2",
        {
            "session": request[SESSION],
            "chosen": chosen,
            "conversations": found,
            "next": after,
            "error": error,
            # the team chosen stays a choice when the active pack dropped it (the next Filter read "any")
            "teams": sorted({*(await active_pack(request)).teams, *filter(None, [chosen.get("team")])}),
            "choices": {
                "status": [s.value for s in Status],
                "channel": [c.value for c in Channel],
                "priority": [p.value for p in Priority],
                "sla_breached": ["true", "false"],
                "assigned": ["true", "false"],  # false: the Unassigned view
            },
        },
        status=422 if error else 200,
    )


async def _agent_id_of(request: web.Request, typed: str) -> str:
    """The roster's agent whose id or name is `typed` (any case), else `typed` as it is: an id the
    roster no longer has still finds the conversations it held."""
    wanted = typed.strip().casefold()
    agents = [s.record for s in await RosterStore(request.app[DATABASE]).list(request[TENANT])]
    for match in (lambda a: a.agent_id.casefold() == wanted, lambda a: a.name.casefold() == wanted):
        found = [a.agent_id for a in agents if match(a)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise invalid_field(
                "assignee", f"{typed[:60]!r} is {len(found)} agents: type one's id ({', '.join(found)})"
            )
    if not is_safe_id(typed):
        raise invalid_field("assignee", f"no agent {typed[:60]!r} in the roster: type an agent's id or name")
    return typed


@routes.get("/console/conversations/{conversation_id}")
async def conversation(request: web.Request) -> web.StreamResponse:
    """The conversation's timeline: the auditor's page (engine/api/audit_timeline.py), headed by the
    console's links (it had none: the way back was the browser's)."""
    return await timeline_response(request, CONSOLE_LINKS)
