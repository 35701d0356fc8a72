"""Agents' presence as the desk weighs it: since when each is away, when a silent client turns its
agent away, and when an away agent's grace period ends for the conversations it holds.

Pure functions over the desk's state (desk_book.py applies them): an agent away or offline keeps
its conversations for its team's `away_grace_minutes`, counted from when its presence changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from engine.contracts.assignment import AgentRecord, Roster, Seat


def track_presence(away_since: dict[str, datetime], agents: dict[str, AgentRecord], now: datetime) -> None:
    """Start or clear each agent's away time as the roster has its presence now."""
    for agent in agents.values():
        if agent.presence == "online":
            away_since.pop(agent.agent_id, None)
        elif agent.agent_id not in away_since:
            away_since[agent.agent_id] = agent.presence_changed_at or now
    for gone in [a for a in away_since if a not in agents]:
        del away_since[gone]


def heartbeat_checks(roster: Roster | None) -> dict[str, datetime]:
    """When each online agent's silence turns it away, unless its client sends a heartbeat."""
    if roster is None or roster.heartbeat_timeout_seconds <= 0:
        return {}
    timeout = timedelta(seconds=roster.heartbeat_timeout_seconds)
    return {
        a.agent_id: (a.last_heartbeat_at or a.presence_changed_at or roster.read_at) + timeout
        for a in roster.agents
        if a.presence == "online"
    }


def grace(seat: Seat) -> timedelta:
    """How long the seat's agent may be away before the conversation goes back to the queue."""
    return timedelta(minutes=seat.policy.away_grace_minutes)


def grace_ends(seats: Iterable[Seat], away_since: dict[str, datetime]) -> dict[str, datetime]:
    """For each away agent holding a seat, when its first seat's grace period ends."""
    ends: dict[str, datetime] = {}
    for seat in seats:
        since = away_since.get(seat.agent)
        if since is not None:
            end = since + grace(seat)
            ends[seat.agent] = min(end, ends.get(seat.agent, end))
    return ends
