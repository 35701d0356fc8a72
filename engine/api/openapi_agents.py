"""The OpenAPI entries of the roster and the assignment desk's queues (engine/api/agents.py), in
engine/api/openapi.py's table shape; that module merges them into its own table (in place, so the
document keeps its order)."""

from __future__ import annotations

from pydantic import BaseModel

from engine.api.agents import AgentList, AgentView, PresenceInput, Removed
from engine.contracts.assignment import TeamQueue
from engine.service.roster_rules import AgentInput

AGENT_ROUTES: dict[tuple[str, str], tuple[str, type[BaseModel] | None, type[BaseModel] | None, int]] = {
    ("POST", "/v1/agents"): (
        "Create an agent (201) or replace its definition (200; presence stays); 422 names a team, "
        "skill or channel the tenant's active pack does not have",
        AgentInput,
        AgentView,
        201,
    ),
    ("GET", "/v1/agents"): (
        "The tenant's agents with presence and, from the assignment desk, load and assigned conversations",
        None,
        AgentList,
        200,
    ),
    ("GET", "/v1/agents/{agent_id}"): ("One agent, with its load", None, AgentView, 200),
    ("DELETE", "/v1/agents/{agent_id}"): (
        "Remove an agent (the desk requeues its conversations)",
        None,
        Removed,
        200,
    ),
    ("PUT", "/v1/agents/{agent_id}/presence"): (
        "Set an agent's presence (online also counts as a heartbeat)",
        PresenceInput,
        AgentView,
        200,
    ),
    ("POST", "/v1/agents/{agent_id}/heartbeat"): (
        "The agent's client is alive; an agent dropped to away by the heartbeat timeout comes back online",
        None,
        AgentView,
        200,
    ),
    ("GET", "/v1/teams/{team}/queue"): (
        "A team's waiting conversations, in the order they will be served",
        None,
        TeamQueue,
        200,
    ),
}
