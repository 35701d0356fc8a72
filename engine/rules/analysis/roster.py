"""The tenant's roster against the pack: agents an `assign` names, skills it requires.

Pure: the caller reads the roster (engine/db/roster.py) and passes its records. An agent the roster
lacks fails every such assignment (an error: publishing refuses it); skills no agent has leave the
conversation waiting in the queue until the team widens them, if it does (a warning: the roster
changes without the pack).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.contracts.assignment import AgentRecord
from engine.rules.analysis.findings import ROSTER, ROSTER_SKIPPED, Finding, rule_index
from engine.rules.pack import RulePack


@dataclass(frozen=True)
class Roster:
    """A tenant's agents as the check sees them."""

    tenant: str
    agents: list[AgentRecord]


def absent_agents(pack: RulePack, agent_ids: set[str]) -> list[tuple[str, str]]:
    """(path, agent) of every `assign` naming an agent not in `agent_ids`."""
    return [(path, agent) for path, agent in pack.named_agents() if agent not in agent_ids]


def _assigns(pack: RulePack) -> Iterator[tuple[str, list[str]]]:
    """(path, required skills) of every `assign` with skills, in rules and escalations."""
    places = [(f"rules[{i}].then", r.then) for i, r in enumerate(pack.rules)]
    for name, policy in pack.sla_policies.items():
        places += [
            (f"sla_policies.{name}.escalations[{k}].then", e.then) for k, e in enumerate(policy.escalations)
        ]
    for where, actions in places:
        for j, action in enumerate(actions):
            skills = getattr(action, "skills", None)
            if action.kind == "assign" and skills:
                yield f"{where}[{j}].assign", list(skills)


def _ids(pack: RulePack, path: str) -> list[str]:
    index = rule_index(path)
    return [] if index is None else [pack.rules[index].id]


def roster_findings(pack: RulePack, roster: Roster | None, why_not: str) -> Iterator[Finding]:
    """Findings against `roster`; an info saying why not (`why_not`) when there is none to read."""
    if roster is None or not roster.agents:
        reason = why_not if roster is None else f"tenant {roster.tenant} has no agents in its roster"
        yield Finding(
            severity="info",
            code=ROSTER_SKIPPED,
            path="",
            message=f"agents and their skills not checked: {reason}",
        )
        return
    for path, agent in absent_agents(pack, {a.agent_id for a in roster.agents}):
        yield Finding(
            severity="error",
            code=ROSTER,
            rules=_ids(pack, path),
            path=path,
            message=f"agent {agent!r} is not in tenant {roster.tenant}'s roster: every such assignment fails",
        )
    for path, skills in _assigns(pack):
        if not any(set(skills) <= {s.lower() for s in a.skills} for a in roster.agents):
            yield Finding(
                severity="warning",
                code=ROSTER,
                rules=_ids(pack, path),
                path=f"{path}.skills",
                message=f"no agent of tenant {roster.tenant}'s roster has all of {', '.join(skills)}: "
                "conversations wait in the queue until the team's widen_skills_after_minutes drops them",
            )
    for team, agents in _orphans(pack, roster).items():
        yield Finding(
            severity="warning",
            code=ROSTER,
            path="teams",
            message=f"team {team!r} is not in this pack, yet {', '.join(agents)} of tenant "
            f"{roster.tenant}'s roster belong to it: once published they take none of its conversations "
            "and cannot be saved until moved to a team of the pack (POST /v1/agents); a renamed team "
            "moves its agents after the publish",
        )


def _orphans(pack: RulePack, roster: Roster) -> dict[str, list[str]]:
    """Teams of the roster's agents that the pack does not have, with those agents."""
    found: dict[str, list[str]] = {}
    for agent in sorted(roster.agents, key=lambda a: a.agent_id):
        for team in agent.teams:
            if team not in pack.teams:
                found.setdefault(team, []).append(agent.agent_id)
    return found
