"""What a conversation its agent lost (away past the grace period, removed) waits for in the queue,
and what a waiting conversation that is solved before anyone took it does.

Its seat keeps the request that seated it, to queue again. As asked, that request could wait for
ever beside a free colleague: a manual assignment named the agent just lost (`strategy: agent`),
a reassignment excluded the colleague who let the customer wait. Lost, the conversation waits for
anyone eligible in its team, by the team's own strategy.

A solved conversation needs nobody until the customer writes again: it was queued and handed to a
colleague (a seat taken, `conversation.assigned` sent) for a ticket already done. It waits
*parked*: kept in the queue, never served, shown nowhere, until its conversation reports a status
that needs an agent (a reopen); a close releases it as any queue place. So does a conversation
solved while it waited (a customer who wrote "never mind, found it"): it stayed in the queue with
the status it asked with, was later handed to an agent and held a seat of their capacity until
its conversation closed, days later, while new work queued behind it.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.contracts.assignment import Seat, Waiting

PARKED_STATUSES = frozenset({"solved"})
"""Statuses in which a lost conversation waits without being served."""


def differs(seat: Seat) -> bool:
    """Whether queueing the seat's request afresh changes anything (the desk's patch is asked then)."""
    request = seat.request
    return request is not None and (
        request.strategy == "agent" or bool(request.exclude) or seat.status in PARKED_STATUSES
    )


def requeued(seat: Seat, afresh: Callable[[], bool], *, may_park: bool = True) -> Waiting | None:
    """The queue place of the lost seat's conversation (None: it had no request to queue again).

    `afresh`: whether it waits for anyone (the desk workflow's patch; desks that queued the request as
    asked replay as they ran). `may_park`: false once the desk holds its bound of parked ones (what it
    carries over continue-as-new stays bounded); a solved one is then queued to be served."""
    request = seat.request
    if request is None:
        return None
    if not (differs(seat) and afresh()):
        return Waiting(request=request, waiting_since=request.requested_at)
    strategy = request.policy.strategy if request.strategy == "agent" else request.strategy
    anyone = request.model_copy(update={"strategy": strategy, "agent": None, "exclude": []})
    parked = may_park and seat.status in PARKED_STATUSES
    return Waiting(request=anyone, waiting_since=request.requested_at, parked=parked)


def restatus(waiting: Waiting, status: str, *, may_park: bool) -> None:
    """A place served in turn whose conversation reports another status: it takes it (the seat it
    gets counts by it) and, solved, waits parked (`may_park`: under the desk's bound)."""
    waiting.request.status = status
    waiting.parked = may_park and status in PARKED_STATUSES


def unpark(waiting: Waiting, status: str) -> bool:
    """A parked place whose conversation reports `status`: served from now on unless it still needs
    nobody. True when that changed it."""
    if not waiting.parked or status in PARKED_STATUSES:
        return False
    waiting.parked = False
    waiting.request.status = status
    return True
