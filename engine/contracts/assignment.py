"""Assignment: the roster as the assignment desk sees it, what a conversation asks of it, the answer.

Each tenant has one assignment desk, a workflow (`workflows/assignment_desk/`) that owns every team
queue and every agent's load of that tenant, so two conversations can never both take an agent's last
slot: the desk decides one request at a time. Conversations ask it through an update (the answer
comes back at once: assigned, queued or refused) and hear later outcomes (a queued conversation
assigned, an agent gone away) as signals. The roster itself (agents, skills, capacity, presence)
lives in the control-plane database; the desk reads it through an activity whenever the API says
it changed, so what the desk decided on is in its history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.contracts.ids import ID_PATTERN

Presence = Literal["online", "away", "offline"]
PRESENCES: tuple[Presence, ...] = ("online", "away", "offline")
Strategy = Literal["round_robin", "least_loaded", "most_spare", "skills"]
STRATEGIES: tuple[Strategy, ...] = ("round_robin", "least_loaded", "most_spare", "skills")
ANY_CHANNEL = "*"
"""The capacity key of an agent whose capacity is one number: conversations on all channels together."""
SKILL_PATTERN = r"^[a-z0-9][a-z0-9_.:\-]{0,63}$"
"""`lang:de`, `product:billing`: lower case, so a skill matches however an API client spelt it."""
TEAM_PATTERN = r"^[a-z0-9][a-z0-9_.\-]{0,63}$"

DESK_WORKFLOW = "AssignmentDesk"
"""The desk's workflow type name (recorded in history: never change it)."""
# Desk messages. The API signals ROSTER_CHANGED after writing the roster; conversations use the rest.
# Conversations send their news as updates, and as signals when an update does not land
# (activities/assignment_desk.py).
REQUEST_ASSIGNMENT = "request_assignment"
"""Update: AssignmentRequest -> AssignmentOutcome."""
RELEASE = "release"
"""Signal: Release. The conversation no longer needs (or keeps) an agent from the desk."""
CONVERSATION_STATUS = "conversation_status"
"""Signal: StatusReport. Whether an assigned conversation counts toward its agent's load."""
RELEASE_UPDATE = "release_seat"
"""Update: Release -> None. RELEASE as an update, which a continue-as-new hands on to the next run
(a signal that reaches a run as it continues makes Temporal refuse the continue-as-new)."""
STATUS_UPDATE = "report_status"
"""Update: StatusReport -> None. CONVERSATION_STATUS as an update, for the same reason."""
ROSTER_CHANGED = "roster_changed"
"""Signal: RosterChange. The roster was written: the desk reads it again."""
QUEUE_QUERY = "queue"
"""Query: team name -> TeamQueue."""
LOADS_QUERY = "loads"
"""Query: no argument -> list[AgentLoad]."""
WAITING_TEAMS_QUERY = "waiting_teams"
"""Query: no argument -> list[str], the teams a conversation waits in (a dropped team's too)."""
# What the desk tells a conversation (signals on the conversation workflow).
DESK_ASSIGNED = "desk_assigned"
"""Signal on a conversation: AssignmentOutcome with result `assigned` (a queued request was served)."""
DESK_UNASSIGNED = "desk_unassigned"
"""Signal on a conversation: Unassignment (its agent went away past the grace, or was removed)."""


def desk_workflow_id(tenant: str) -> str:
    """One desk per tenant: its id is addressable only inside that tenant, like a conversation's."""
    return f"assignment-desk:{tenant}"


class AgentRecord(BaseModel):
    """One agent of a tenant's roster, as stored and as the desk decides on it."""

    agent_id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    teams: list[str] = Field(default_factory=list, max_length=50)
    skills: list[str] = Field(default_factory=list, max_length=100)
    channels: list[str] = Field(
        default_factory=list, max_length=10, description="Channels the agent takes; empty: every channel."
    )
    capacity: dict[str, int] = Field(
        default_factory=lambda: {ANY_CHANNEL: 5},
        description="Open conversations the agent takes at once, by channel; `*`: all channels together.",
    )
    presence: Presence = "offline"
    presence_changed_at: datetime | None = None
    last_heartbeat_at: datetime | None = Field(
        default=None, description="The agent's client's last sign of life; online drops to away without one."
    )

    def capacity_for(self, channel: str) -> int:
        """How many conversations of `channel` the agent takes (0: none)."""
        if ANY_CHANNEL in self.capacity:
            return self.capacity[ANY_CHANNEL]
        return self.capacity.get(channel, 0)


class Roster(BaseModel):
    """A tenant's agents as the database holds them now, and how long a silent client stays online."""

    agents: list[AgentRecord] = Field(default_factory=list)
    heartbeat_timeout_seconds: float = 120.0
    read_at: datetime


class PresenceExpiry(BaseModel):
    """The desk asks the roster to drop a silent agent to away (activity `expire_presence`).

    The database decides: the agent drops only if it is still online with no heartbeat since
    `cutoff`, so a heartbeat that arrived after the desk last read the roster wins.
    """

    tenant: str
    agent_id: str
    cutoff: datetime = Field(description="Online agents whose last heartbeat is older than this go away.")


class RosterChange(BaseModel):
    agent_id: str | None = Field(default=None, description="The agent written; None: read everything.")


class TeamPolicy(BaseModel):
    """How a team assigns, from the conversation's pinned pack (`teams.<team>.assignment`)."""

    strategy: Strategy = "round_robin"
    load_statuses: list[str] = Field(
        default_factory=lambda: ["open", "on_hold"],
        description="Conversation statuses that count toward an agent's load (pending does not by default).",
    )
    widen_skills_after_minutes: float | None = Field(
        default=None, description="A request waiting this long drops its required skills."
    )
    away_grace_minutes: float = Field(
        default=5, description="An assignee away or offline this long loses the conversation to the queue."
    )
    unanswered_minutes: float | None = Field(
        default=None, description="Business minutes an assignee may leave the customer waiting."
    )


class AssignmentRequest(BaseModel):
    """A conversation asks its tenant's desk for an agent (or for a named one)."""

    request_id: str = Field(description="The conversation's idempotency key for this request.")
    conversation_id: str = Field(description="The conversation's workflow id.")
    team: str
    channel: str
    status: str = "open"
    priority: str = "normal"
    breach_at: datetime | None = Field(default=None, description="The earliest running SLA deadline.")
    requested_at: datetime
    strategy: Strategy | Literal["agent"] = "round_robin"
    agent: str | None = Field(default=None, description="The named agent (manual assignment, `agent`).")
    skills: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list, description="Agents it must not go to (reassignment).")
    policy: TeamPolicy = Field(default_factory=TeamPolicy)
    reason: str = Field(default="", description="Why it is asked: the rule, a timeout, an API call.")


class Release(BaseModel):
    conversation_id: str
    reason: str = ""


class StatusReport(BaseModel):
    conversation_id: str
    status: str
    priority: str | None = Field(
        default=None, description="The conversation's priority now: its queue place is served by it."
    )
    breach_at: datetime | None = Field(
        default=None, description="With `priority`: its earliest SLA breach now (the queue's next key)."
    )


class Candidate(BaseModel):
    """One agent as the desk weighed it for a request: why kept or which filter removed it."""

    agent: str
    presence: Presence
    load: int
    capacity: int
    skills: list[str]
    excluded_by: str | None = Field(default=None, description="The filter that removed it; None: eligible.")
    score: float | None = Field(default=None, description="What the strategy compared (lower wins).")
    after: float | None = Field(
        default=None,
        description="The score once it takes the conversation (least loaded: (load + 1)/capacity; "
        "most spare: minus the percent still free); breaks equal scores, lower wins.",
    )


class AssignmentDecision(BaseModel):
    """Why the desk chose (or could not choose) an agent: the record behind `conversation.assigned`."""

    strategy: str
    team: str
    channel: str
    required_skills: list[str] = Field(default_factory=list)
    widened: bool = Field(default=False, description="Required skills dropped after the team's wait.")
    candidates: list[Candidate] = Field(default_factory=list)
    chosen: str | None = None
    reason: str


class AssignmentOutcome(BaseModel):
    request_id: str
    conversation_id: str
    result: Literal["assigned", "queued", "refused"]
    agent: str | None = None
    team: str
    decision: AssignmentDecision
    queue_position: int | None = Field(default=None, description="1-based, while queued.")
    queue_length: int = 0
    at: datetime
    kept: bool = Field(
        default=False, description="Asked for someone else, nobody else could take it: its agent keeps it."
    )


class Unassignment(BaseModel):
    conversation_id: str
    agent: str
    reason: str
    requeued: bool = True
    at: datetime


class QueueEntry(BaseModel):
    conversation_id: str
    priority: str
    breach_at: datetime | None
    waiting_since: datetime = Field(
        description="When the desk queued it: the customer may have written earlier (a late channel, "
        "an agent lost); the SLA deadline (`breach_at`), counted from when the customer wrote, "
        "comes first in the serving order."
    )
    skills: list[str]
    flagged: str | None = Field(
        default=None,
        description="Why no agent can take it whoever comes online (an empty team, a channel none takes).",
    )


class TeamQueue(BaseModel):
    team: str
    entries: list[QueueEntry] = Field(default_factory=list, description="In the order they will be served.")


class AgentLoad(BaseModel):
    agent: str
    presence: Presence
    load: int = Field(description="Assigned conversations that count toward capacity now.")
    load_by_channel: dict[str, int] = Field(
        default_factory=dict, description="The same per channel (what a capacity per channel is measured on)."
    )
    assigned: list[str] = Field(default_factory=list, description="Conversation ids assigned to the agent.")


def decision_dict(decision: AssignmentDecision) -> dict[str, Any]:
    """The decision as the conversation's trail keeps it (`GET .../decisions`)."""
    return {"assignment": decision.model_dump(mode="json")}


class Seat(BaseModel):
    """A conversation the desk gave to an agent, and what decides whether it counts toward the load."""

    conversation_id: str
    agent: str
    team: str
    channel: str
    status: str = "open"
    policy: TeamPolicy = Field(default_factory=TeamPolicy)
    assigned_at: datetime
    request: AssignmentRequest | None = Field(default=None, description="What to queue again if it is lost.")


class Waiting(BaseModel):
    """A queued request, as long as no eligible agent has a free slot."""

    request: AssignmentRequest
    waiting_since: datetime
    flagged: str | None = None
    parked: bool = Field(
        default=False,
        description="Lost by its agent while solved: not served, nor shown, until it needs an agent again.",
    )


class DeskState(BaseModel):
    """Everything the desk knows besides the roster's rows: carried whole over continue-as-new."""

    tenant: str
    roster: Roster | None = None
    seats: dict[str, Seat] = Field(default_factory=dict, description="By conversation id.")
    queue: list[Waiting] = Field(default_factory=list)
    last_chosen: dict[str, str] = Field(default_factory=dict, description="Round robin: team -> agent.")
    away_since: dict[str, datetime] = Field(default_factory=dict, description="Agents not online, since.")
    outcomes: dict[str, AssignmentOutcome] = Field(
        default_factory=dict, description="The latest answers whole, by request id: a retry gets the same."
    )
    answered: dict[str, str] = Field(
        default_factory=dict, description="Older answers in brief (`result agent`), by request id."
    )


class DeskStart(BaseModel):
    """The desk's workflow input: its tenant, and its state when it continues as new."""

    tenant: str
    carried: DeskState | None = None
    max_messages: int = Field(
        default=500,
        ge=1,
        description="Messages a run takes before it continues as new (Temporal allows 2,000 updates "
        "per run); tests choose fewer to reach a continue-as-new at once.",
    )


class DeskAsk(BaseModel):
    """A conversation's request, on its way to its tenant's desk (started if it is not running)."""

    tenant: str
    request: AssignmentRequest


class DeskLetter(BaseModel):
    """A signal for a tenant's desk: exactly one of `release` and `status`."""

    tenant: str
    release: Release | None = None
    status: StatusReport | None = None


class ConversationAssignment(BaseModel):
    """The conversation's side of the desk: what it last asked for and what it got."""

    request_id: str
    team: str
    strategy: str
    skills: list[str] = Field(default_factory=list)
    policy: TeamPolicy = Field(default_factory=TeamPolicy)
    queued: bool = False
    queue_position: int | None = None
    queue_length: int = 0
    assigned_at: datetime | None = None
    agent_presence: Presence | None = None
    agent_load: int | None = None
    agent_capacity: int | None = None
    unanswered_at: datetime | None = Field(
        default=None, description="When the assignee has left the customer waiting too long (a timer)."
    )
    breach_told: datetime | None = Field(
        default=None, description="The earliest SLA deadline the desk last heard: its queue's order."
    )
