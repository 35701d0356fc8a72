"""What the desk shows of itself: a team's queue and the agents' loads (its queries, the API's and
the console's views); read only, so apart from the book that decides."""

from __future__ import annotations

from engine.assignment.choice import Loads
from engine.assignment.desk_book import DeskBook
from engine.contracts.assignment import AgentLoad, QueueEntry, TeamQueue


def queue_view(book: DeskBook, team: str) -> TeamQueue:
    """The team's waiting conversations in the order they will be served (the desk's query)."""
    entries = [
        QueueEntry(
            conversation_id=w.request.conversation_id,
            priority=w.request.priority,
            breach_at=w.request.breach_at,
            waiting_since=w.waiting_since,
            skills=list(w.request.skills),
            flagged=w.flagged,
        )
        for w in book.waiting_in(team)
    ]
    return TeamQueue(team=team, entries=entries)


def waiting_teams(book: DeskBook) -> list[str]:
    """The teams a conversation waits in (the desk's query): a team a pack dropped keeps its queue,
    which the console, listing the active pack's teams, did not show."""
    return sorted({w.request.team for w in book.state.queue if not w.parked})


def loads_view(book: DeskBook) -> list[AgentLoad]:
    """Every agent's load, per channel, and seats (the desk's query)."""
    loads = Loads.of(book.state.seats.values())
    channels: dict[str, dict[str, int]] = {}
    seats: dict[str, list[str]] = {}
    for (agent, channel), n in loads.by_channel.items():
        channels.setdefault(agent, {})[channel] = n
    for seat in book.state.seats.values():
        seats.setdefault(seat.agent, []).append(seat.conversation_id)
    return [
        AgentLoad(
            agent=a.agent_id,
            presence=a.presence,
            load=loads.total.get(a.agent_id, 0),
            load_by_channel=channels.get(a.agent_id, {}),
            assigned=sorted(seats.get(a.agent_id, [])),
        )
        for a in sorted(book.agents.values(), key=lambda a: a.agent_id)
    ]
