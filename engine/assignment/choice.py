"""Which agent takes a request: filters that explain every exclusion, then the team's strategy.

Every candidate of the team is listed in the decision with its presence, load, capacity and skills,
and the first filter that removed it, so "why did Ana get this and not Ben" has an answer on record.

Least loaded and most spare compare what the issue defines (load/capacity now; spare capacity in
percent now). Equal scores are broken by the score the agent would have once it takes the
conversation (`after`): with Ana at 0/2 and Ben at 0/10 both score 0, and Ben takes it (1/10 rather
than 1/2 afterwards): the larger capacity absorbs a whole conversation with the smaller step. Not
the other way round (`after` first): it would give 1/10 a conversation before 0/2, leaving an agent
idle to keep the highest ratio lowest, which spreads the team's load less evenly (Jain's index of
load/capacity, docs/performance.md "Assignment"). Ties that remain go by rotation (the next agent
after the team's last choice, by id), never by id alone, which would hand every tie to the same agent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.contracts.assignment import (
    ANY_CHANNEL,
    AgentRecord,
    AssignmentDecision,
    AssignmentRequest,
    Candidate,
    Seat,
)


@dataclass(frozen=True)
class Loads:
    """Seats that count toward capacity, per agent: in total and per channel."""

    total: Mapping[str, int]
    by_channel: Mapping[tuple[str, str], int]

    @classmethod
    def of(cls, seats: Iterable[Seat]) -> Loads:
        total: dict[str, int] = {}
        by_channel: dict[tuple[str, str], int] = {}
        for seat in seats:
            if seat.status in seat.policy.load_statuses:
                total[seat.agent] = total.get(seat.agent, 0) + 1
                key = (seat.agent, seat.channel)
                by_channel[key] = by_channel.get(key, 0) + 1
        return cls(total, by_channel)

    def on(self, agent: AgentRecord, channel: str) -> int:
        """The load that the agent's capacity for `channel` is measured against."""
        if ANY_CHANNEL in agent.capacity:
            return self.total.get(agent.agent_id, 0)
        return self.by_channel.get((agent.agent_id, channel), 0)

    def spare_percent(self, agent: AgentRecord) -> float:
        """Free slots over all the agent's channels, in percent of its whole capacity."""
        whole = sum(agent.capacity.values())
        if whole <= 0:
            return 0.0
        return 100.0 * (whole - self.total.get(agent.agent_id, 0)) / whole


def _excluded_by(
    agent: AgentRecord, request: AssignmentRequest, load: int, capacity: int, skills: list[str]
) -> str | None:
    """The first reason the agent cannot take the request, in the order a person would check."""
    if request.team and request.team not in agent.teams:
        return f"not in team {request.team}"
    if agent.agent_id in request.exclude:
        return "excluded: " + (request.reason or "reassignment away from this agent")
    if agent.presence != "online":
        return f"presence {agent.presence}"
    if agent.channels and request.channel not in agent.channels:
        return f"does not take {request.channel}"
    if capacity <= 0:
        return f"no capacity for {request.channel}"
    if load >= capacity:
        return f"at capacity ({load}/{capacity})"
    missing = [s for s in skills if s not in agent.skills]
    if missing:
        return "lacks skills " + ", ".join(missing)
    return None


def _rotation(members: list[str], last: str | None) -> dict[str, int]:
    """Each member's place in the rotation that starts right after the team's last choice."""
    ordered = sorted(members)
    # Right after the last choice; a last choice no longer in the team: the next id after it.
    start = 0 if last is None else next((i for i, m in enumerate(ordered) if m > last), 0)
    n = len(ordered)
    return {m: (i - start) % n for i, m in enumerate(ordered)}


def choose(
    request: AssignmentRequest,
    agents: Iterable[AgentRecord],
    loads: Loads,
    *,
    last_chosen: str | None,
    widened: bool,
    ties_by_after: bool = True,
) -> AssignmentDecision:
    """The agent for `request` (or none) and the full record of why.

    `ties_by_after` False: equal scores go straight to the rotation, as desks decided before the
    `after` tie-break (the desk workflow's patch keeps their histories replaying).
    """
    skills = [] if widened else list(request.skills)
    if request.strategy == "agent":
        pool = [a for a in agents if a.agent_id == request.agent]
    else:
        pool = [a for a in agents if not request.team or request.team in a.teams]
    candidates: list[Candidate] = []
    eligible: list[AgentRecord] = []
    for agent in sorted(pool, key=lambda a: a.agent_id):
        load, capacity = loads.on(agent, request.channel), agent.capacity_for(request.channel)
        why = _excluded_by(agent, request, load, capacity, skills)
        candidates.append(
            Candidate(
                agent=agent.agent_id,
                presence=agent.presence,
                load=load,
                capacity=capacity,
                skills=list(agent.skills),
                excluded_by=why,
            )
        )
        if why is None:
            eligible.append(agent)
    decision = AssignmentDecision(
        strategy=request.strategy,
        team=request.team,
        channel=request.channel,
        required_skills=list(request.skills),
        widened=widened and bool(request.skills),
        candidates=candidates,
        reason="",
    )
    if request.strategy == "agent" and not pool:
        decision.reason = f"unknown agent {request.agent}"
        return decision
    if not eligible:
        decision.reason = (
            f"no agent in team {request.team}"
            if not candidates
            else "no eligible agent: " + "; ".join(f"{c.agent} {c.excluded_by}" for c in candidates)
        )
        return decision
    turn = _rotation([a.agent_id for a in pool], last_chosen)
    scores = {a.agent_id: _score(request.strategy, a, request.channel, loads, turn) for a in eligible}
    afters = {
        a.agent_id: _after(request.strategy, a, request.channel, loads) if ties_by_after else None
        for a in eligible
    }
    for c in candidates:
        c.score, c.after = scores.get(c.agent), afters.get(c.agent)
    chosen = min(eligible, key=lambda a: (scores[a.agent_id], afters[a.agent_id] or 0.0, turn[a.agent_id]))
    decision.chosen = chosen.agent_id
    decision.reason = _why(request.strategy, chosen, request.channel, loads, len(eligible))
    if decision.widened:  # the record's flag alone left the auditor to guess why a skill did not count
        needed = ", ".join(request.skills)
        decision.reason += f"; skills widened: nobody eligible with {needed} within the team's wait"
    tied = [a for a in eligible if scores[a.agent_id] == scores[chosen.agent_id]]
    if ties_by_after and len(tied) > 1 and request.strategy != "round_robin":
        decision.reason += _tie(request.strategy, chosen, request.channel, loads, tied, afters)
    return decision


def choose_waiting(
    request: AssignmentRequest,
    agents: Iterable[AgentRecord],
    loads: Loads,
    *,
    last_chosen: str | None,
    widened: bool,
    ties_by_after: bool,
    skills_first: Callable[[], bool],
) -> AssignmentDecision:
    """`choose` for a queued request: once its skills widened, an agent with them when one is
    eligible (`skills_first`: the desk workflow's patch, asked only then). Widening dropped the
    skills, so a free German speaker lost to an idler English-only colleague, and the record said
    nobody with the skill was eligible when the agent chosen had it."""
    if widened:
        skilled = choose(
            request, agents, loads, last_chosen=last_chosen, widened=False, ties_by_after=ties_by_after
        )
        if skilled.chosen is not None and skills_first():
            return skilled
    return choose(
        request, agents, loads, last_chosen=last_chosen, widened=widened, ties_by_after=ties_by_after
    )


def _score(strategy: str, agent: AgentRecord, channel: str, loads: Loads, turn: Mapping[str, int]) -> float:
    """What the strategy compares, lower wins; the rotation breaks ties."""
    if strategy in ("least_loaded", "skills"):
        return round(loads.on(agent, channel) / agent.capacity_for(channel), 6)
    if strategy == "most_spare":
        return round(-loads.spare_percent(agent), 6)
    return float(turn[agent.agent_id])  # round robin (and a named agent: the only one eligible)


def _after(strategy: str, agent: AgentRecord, channel: str, loads: Loads) -> float | None:
    """The strategy's score once the agent takes the conversation (lower wins): the tie-break."""
    if strategy in ("least_loaded", "skills"):
        return round((loads.on(agent, channel) + 1) / agent.capacity_for(channel), 6)
    if strategy == "most_spare":
        whole = sum(agent.capacity.values())
        return round(-100.0 * (whole - loads.total.get(agent.agent_id, 0) - 1) / whole, 6)
    return None


def _tie(
    strategy: str,
    chosen: AgentRecord,
    channel: str,
    loads: Loads,
    tied: list[AgentRecord],
    afters: Mapping[str, float | None],
) -> str:
    """How a tie of scores was broken, for the decision's reason."""
    after = afters[chosen.agent_id]
    if after is None or sum(1 for a in tied if afters[a.agent_id] == after) > 1:
        return f"; tied with {len(tied) - 1} other(s), next in rotation"
    if strategy == "most_spare":
        whole = sum(chosen.capacity.values())
        spare = whole - loads.total.get(chosen.agent_id, 0) - 1
        return f"; tied with {len(tied) - 1} other(s), most spare once assigned ({spare}/{whole} free)"
    load, capacity = loads.on(chosen, channel) + 1, chosen.capacity_for(channel)
    return f"; tied with {len(tied) - 1} other(s), least loaded once assigned ({load}/{capacity})"


def _why(strategy: str, agent: AgentRecord, channel: str, loads: Loads, eligible: int) -> str:
    load, capacity = loads.on(agent, channel), agent.capacity_for(channel)
    if strategy == "agent":
        return f"named agent {agent.agent_id} is online with a free slot ({load}/{capacity})"
    if strategy == "round_robin":
        return f"round robin: next in turn of {eligible} eligible"
    if strategy == "most_spare":
        return f"most spare capacity: {loads.spare_percent(agent):.0f}% free of {eligible} eligible"
    label = "skills matched, then least loaded" if strategy == "skills" else "least loaded"
    return f"{label}: {load}/{capacity} on {channel} of {eligible} eligible"


def kept_by(
    request: AssignmentRequest,
    agent: str,
    agents: Iterable[AgentRecord],
    loads: Loads,
    *,
    ties_by_after: bool = True,
    unskilled_keeps: Callable[[], bool] | None = None,
) -> AssignmentDecision | None:
    """The record of `agent` keeping a conversation `request` asks someone else for (it excludes
    them), when nobody else can take it now and they still could. Queued instead, the conversation
    let its agent go to wait for a colleague, and in a team of one it waited for ever beside an idle
    agent (the exclusion stood). None: someone else can take it, or `agent` no longer can.
    `loads`: every seat's but the conversation's own. `unskilled_keeps` (the desk workflow's patch,
    asked only when it decides): an agent given it when its skills widened keeps it without them;
    it went to the queue, and back to them once the team's wait was over again, the customer
    without an agent meanwhile."""
    if agent not in request.exclude:
        return None
    pool = list(agents)
    decision = choose(request, pool, loads, last_chosen=None, widened=False, ties_by_after=ties_by_after)
    if decision.chosen is not None:
        return None
    named = request.model_copy(update={"strategy": "agent", "agent": agent, "exclude": []})
    if choose(named, pool, loads, last_chosen=None, widened=False).chosen is None and not (
        request.skills
        and unskilled_keeps is not None
        and choose(named, pool, loads, last_chosen=None, widened=True).chosen is not None
        # as the holder may do without the skills, so may a colleague: then it is theirs
        and choose(request, pool, loads, last_chosen=None, widened=True).chosen is None
        and unskilled_keeps()
    ):
        return None
    decision.chosen = agent
    decision.reason = f"kept by {agent}, nobody else can take it: {decision.reason}"
    return decision


def relief_past_widening(
    request: AssignmentRequest,
    assigned_at: datetime,
    agents: Iterable[AgentRecord],
    loads: Loads,
    now: datetime,
    *,
    ties_by_after: bool = True,
) -> bool:
    """Whether a colleague without the skills may relieve a holder nobody with them can: the
    conversation was held longer than the team's widening wait (it waits from its assignment, as if
    queued then), and one is free. A skilled agent who kept not answering kept it at every timeout
    while colleagues idled: a reassignment is a fresh request, never widened."""
    minutes = request.policy.widen_skills_after_minutes
    if not request.skills or minutes is None or assigned_at + timedelta(minutes=minutes) > now:
        return False
    other = choose(request, agents, loads, last_chosen=None, widened=True, ties_by_after=ties_by_after)
    return other.chosen is not None


def back_to_excluded(
    request: AssignmentRequest,
    agents: Iterable[AgentRecord],
    loads: Loads,
    nobody: AssignmentDecision,
    *,
    widened: bool,
) -> AssignmentDecision | None:
    """The record of a waiting conversation going back to an agent it excludes (one who let the
    customer wait), who can take it now that nobody else can (`nobody`: the request's own choice,
    which found no one; `widened`: as it was made). Over capacity at the timeout (a capacity cut, a
    reopened conversation), the agent could not keep it; once they had room again, the conversation
    waited for ever beside them, the exclusion standing."""
    pool = list(agents)
    for agent in request.exclude:
        named = request.model_copy(update={"strategy": "agent", "agent": agent, "exclude": []})
        if choose(named, pool, loads, last_chosen=None, widened=widened).chosen is not None:
            back = nobody.model_copy(deep=True)
            back.chosen = agent
            back.reason = f"back to {agent}, nobody else can take it: {nobody.reason}"
            return back
    return None
