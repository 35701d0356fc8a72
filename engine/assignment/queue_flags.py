"""Why nobody can take a waiting conversation whoever comes online: said on the queue, not found out.

A conversation in a team no agent belongs to waits for one to join; one on a channel no agent of its
team takes (a WhatsApp conversation in a team whose agents' capacities name email and chat only)
waited in the same silence, its flag empty, until a lead tried to assign it by hand and was refused
"no capacity for whatsapp" (helper-118). Presence and load are not looked at: those change by
themselves, and the queue serves the conversation when they do.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.contracts.assignment import AgentRecord, AssignmentRequest


def nobody_can_take(request: AssignmentRequest, agents: Iterable[AgentRecord]) -> str | None:
    """What keeps every agent of the request's team from ever taking it, or None."""
    team = [a for a in agents if request.team in a.teams]
    if not team:
        return f"no agent in team {request.team}: waits for one to join"
    channel = request.channel
    if not any((not a.channels or channel in a.channels) and a.capacity_for(channel) > 0 for a in team):
        return f"no agent of team {request.team} takes {channel}: waits for one who does (capacity, channels)"
    return None
