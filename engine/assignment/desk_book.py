"""The desk's book: seats, the queue and the rules that move conversations between them.

Pure bookkeeping over `DeskState` with the time passed in, so the desk workflow stays a thin shell
(messages in, activities and signals out) and each rule here is tested without a server:

- a request is queued, then the queue is served in order (priority, time to SLA breach, waiting
  time), so a newcomer never jumps a conversation that waited for the same agent;
- serving happens after every change that can free or add a slot (a release, a status that stops
  counting, an agent coming online, a wider skill requirement), so nothing waits while an eligible
  agent has a free slot;
- an agent removed loses its conversations to the queue at once; one away or offline loses them
  after its team's grace period; each is told to its conversation through `notices`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from engine.assignment.answers import outcome_of, remember, repeated, settled_by_roster
from engine.assignment.choice import (
    Loads,
    back_to_excluded,
    choose,
    choose_waiting,
    kept_by,
    relief_past_widening,
)
from engine.assignment.presence import grace, grace_ends, heartbeat_checks, track_presence
from engine.assignment.queue_flags import nobody_can_take
from engine.assignment.requeueing import requeued, restatus, unpark
from engine.assignment.serving_order import serving_order
from engine.contracts.assignment import (
    AgentRecord,
    AssignmentDecision,
    AssignmentOutcome,
    AssignmentRequest,
    DeskState,
    Roster,
    Seat,
    Unassignment,
    Waiting,
)

# Everything below, and the answers remembered (answers.py, `fit_for_carry`), is carried over
# continue-as-new in one payload, which Temporal refuses past 2 MiB; a waiting request is ~0.7 KiB.
MAX_WAITING = 1_000
MAX_PARKED = 1_000
"""Solved conversations waiting parked (requeueing.py); past it, one lost is queued as before."""


@dataclass(frozen=True)
class Notice:
    """What the desk must tell a conversation that did not just ask (a signal from the workflow)."""

    kind: Literal["assigned", "unassigned"]
    conversation_id: str
    outcome: AssignmentOutcome | None = None
    unassignment: Unassignment | None = None


class DeskBook:
    """One tenant's seats and queue, changed only through these methods (the workflow's handlers)."""

    def __init__(
        self,
        state: DeskState,
        *,
        ties_by_after: bool = True,
        requeue_afresh: Callable[[], bool] = lambda: True,
        restatus_waiting: Callable[[], bool] = lambda: True,
        serve_excluded: Callable[[], bool] = lambda: True,
        skills_first: Callable[[], bool] = lambda: True,
    ) -> None:
        # The desk workflow's patches, so that a desk whose history was decided before replays as it
        # ran; each but the first is asked only where it makes a difference. Whether equal scores go
        # to the agent least loaded once assigned (choice.py); a lost seat's conversation waits for
        # anyone, parked while solved, and a waiting one takes the status it reports (requeueing.py);
        # a waiting one goes back to an agent it excludes when nobody else can (`back_to_excluded`);
        # one whose skills widened goes to an agent with them when one is free, and its holder
        # keeps it without them (`choose_waiting`, `kept_by`).
        self.state = state
        self.notices: list[Notice] = []
        self.ties_by_after = ties_by_after
        self.requeue_afresh = requeue_afresh
        self.restatus_waiting = restatus_waiting
        self.serve_excluded = serve_excluded
        self.skills_first = skills_first

    # -- the roster ---------------------------------------------------------------------------------

    @property
    def agents(self) -> dict[str, AgentRecord]:
        roster = self.state.roster
        return {a.agent_id: a for a in roster.agents} if roster else {}

    def apply_roster(self, roster: Roster, now: datetime) -> None:
        """A fresh read of the roster: agents gone lose their seats now, presence starts grace periods."""
        self.state.roster = roster
        agents = self.agents
        for seat in [s for s in self.state.seats.values() if s.agent not in agents]:
            self._unseat(seat, f"agent {seat.agent} was removed from the roster", now)
        track_presence(self.state.away_since, self.agents, now)
        self.serve(now)

    def apply_agent(self, record: AgentRecord, now: datetime) -> None:
        """One agent as the database has it now (after a heartbeat check)."""
        roster = self.state.roster
        if roster is None:
            return
        roster.agents = [record if a.agent_id == record.agent_id else a for a in roster.agents]
        track_presence(self.state.away_since, self.agents, now)
        self.serve(now)

    def heartbeat_checks(self) -> dict[str, datetime]:
        """When each online agent's silence turns it away, unless its client sends a heartbeat."""
        return heartbeat_checks(self.state.roster)

    # -- requests, releases, statuses ---------------------------------------------------------------

    def request(
        self, request: AssignmentRequest, now: datetime, *, may_keep: Callable[[], bool] | None = None
    ) -> AssignmentOutcome:
        """Answer a conversation: assigned now, queued, or (a named agent who cannot take it) refused.

        `may_keep`: whether a reassignment nobody else can take keeps its agent (choice.py `kept_by`);
        asked only when that happens (the desk workflow's patch)."""
        known = self.state.outcomes.get(request.request_id)
        if known is not None:
            return known
        if (brief := self.state.answered.get(request.request_id)) is not None:
            return repeated(request, brief, now)
        conversation = request.conversation_id
        waiting_already = any(w.request.conversation_id == conversation for w in self.state.queue)
        settled = None if waiting_already else settled_by_roster(request, self.agents.values(), now)
        if settled is not None:
            return remember(self.state, settled)
        if request.strategy == "agent":
            return self._named(request, now)
        # Parked ones are no waiting work (they have their own bound): they neither fill the queue
        # nor lengthen it in answers.
        if sum(not w.parked for w in self.state.queue) >= MAX_WAITING and not waiting_already:
            reason = f"the tenant's queues hold {MAX_WAITING} waiting conversations already"
            decision = AssignmentDecision(
                strategy=request.strategy, team=request.team, channel=request.channel, reason=reason
            )
            return remember(self.state, self._answer(request, "refused", decision, now))
        held = self.state.seats.get(conversation)
        widened_from = None
        if held is not None and may_keep is not None:
            others = Loads.of(s for s in self.state.seats.values() if s is not held)
            kept = kept_by(
                request,
                held.agent,
                self.agents.values(),
                others,
                ties_by_after=self.ties_by_after,
                unskilled_keeps=self.skills_first,
            )
            relieved = kept is not None and relief_past_widening(
                request, held.assigned_at, self.agents.values(), others, now, ties_by_after=self.ties_by_after
            )
            if relieved and self.skills_first():  # (the desk workflow's patch, asked only then)
                kept, widened_from = None, held.assigned_at
            if kept is not None and may_keep():
                return remember(self.state, self._keep(held, request, kept, now))
        self.state.seats.pop(conversation, None)  # asking again is asking for someone else
        waited = next((w for w in self.state.queue if w.request.conversation_id == conversation), None)
        self.state.queue = [w for w in self.state.queue if w.request.conversation_id != conversation]
        since = waited.waiting_since if waited else widened_from or now
        self.state.queue.append(Waiting(request=request, waiting_since=since))
        self.serve(now)
        return remember(self.state, self._outcome_of(request, now))

    def _keep(
        self, held: Seat, request: AssignmentRequest, decision: AssignmentDecision, now: datetime
    ) -> AssignmentOutcome:
        held.request = request.model_copy(update={"exclude": []})  # requeued later: anyone may take it
        held.status, held.policy = request.status, request.policy
        outcome = self._answer(request, "assigned", decision, now)
        outcome.kept = True
        return outcome

    def _named(self, request: AssignmentRequest, now: datetime) -> AssignmentOutcome:
        seats = self.state.seats
        current = seats.get(request.conversation_id)
        others = [s for s in seats.values() if s.conversation_id != request.conversation_id]
        decision = choose(
            request,
            self.agents.values(),
            Loads.of(others),
            last_chosen=None,
            widened=False,
            ties_by_after=self.ties_by_after,
        )
        if decision.chosen is None:
            return remember(self.state, self._answer(request, "refused", decision, now))
        self.state.queue = [
            w for w in self.state.queue if w.request.conversation_id != request.conversation_id
        ]
        if current is not None:
            del seats[current.conversation_id]
        self._seat(request, decision.chosen, now)
        outcome = self._answer(request, "assigned", decision, now)
        self.serve(now)  # the agent it left may now take a queued conversation
        return remember(self.state, outcome)

    def release(self, conversation_id: str, now: datetime) -> None:
        """The conversation closed, was unassigned or left the team: its seat or queue place goes."""
        self.state.seats.pop(conversation_id, None)
        self.state.queue = [w for w in self.state.queue if w.request.conversation_id != conversation_id]
        self.serve(now)

    def report_status(
        self,
        conversation_id: str,
        status: str,
        now: datetime,
        *,
        priority: str | None = None,
        breach_at: datetime | None = None,
    ) -> None:
        """A conversation's status, and (from conversations that tell it) its priority and earliest
        SLA breach, which its queue place is served by: a request kept what it said when it asked."""
        changed = False
        seat = self.state.seats.get(conversation_id)
        if seat is not None and seat.status != status:
            seat.status = status
            if seat.request is not None:
                seat.request.status = status
            changed = True
        for waiting in [w for w in self.state.queue if w.request.conversation_id == conversation_id]:
            if unpark(waiting, status):
                changed = True
            elif not waiting.parked and waiting.request.status != status and self.restatus_waiting():
                restatus(waiting, status, may_park=sum(w.parked for w in self.state.queue) < MAX_PARKED)
                changed = True
        if priority is not None:
            held = [w.request for w in self.state.queue if w.request.conversation_id == conversation_id]
            held += [seat.request] if seat is not None and seat.request is not None else []
            for request in held:
                if (request.priority, request.breach_at) != (priority, breach_at):
                    request.priority, request.breach_at = priority, breach_at
                    changed = True
        if changed:
            self.serve(now)

    # -- time ---------------------------------------------------------------------------------------

    def next_instant(self, after: datetime | None = None) -> datetime | None:
        """The earliest instant a grace period ends or a waiting request's skills widen (`after`: a
        widening past then is no instant to wake for: it stays widened)."""
        instants = list(self._grace_ends().values())
        widening = (self._widens_at(w) for w in self.state.queue)
        instants += [due for due in widening if due is not None and (after is None or due > after)]
        return min(instants, default=None)

    def fire(self, now: datetime) -> None:
        for agent, ends in self._grace_ends().items():
            if ends <= now:
                for seat in [s for s in self.state.seats.values() if s.agent == agent]:
                    if self.state.away_since[agent] + grace(seat) <= now:
                        presence = self.agents[agent].presence
                        self._unseat(seat, f"agent {agent} {presence} past the team's grace period", now)
        self.serve(now)

    def _grace_ends(self) -> dict[str, datetime]:
        return grace_ends(self.state.seats.values(), self.state.away_since)

    def _widens_at(self, waiting: Waiting) -> datetime | None:
        minutes = waiting.request.policy.widen_skills_after_minutes
        if not waiting.request.skills or minutes is None or waiting.parked:
            return None
        return waiting.waiting_since + timedelta(minutes=minutes)

    # -- serving the queue --------------------------------------------------------------------------

    def serve(self, now: datetime) -> None:
        """Give every queued conversation an agent if one is eligible, in queue order."""
        if not self.state.queue:
            return
        loads = Loads.of(self.state.seats.values())
        for waiting in sorted(self.state.queue, key=serving_order):
            if not self._anyone_free(loads):
                break
            if waiting.parked:
                continue
            request = waiting.request
            widens = self._widens_at(waiting)
            widened = widens is not None and widens <= now
            decision = choose_waiting(
                request,
                self.agents.values(),
                loads,
                last_chosen=self.state.last_chosen.get(request.team),
                widened=widened,
                ties_by_after=self.ties_by_after,
                skills_first=self.skills_first,
            )
            if decision.chosen is None and request.exclude:
                back = back_to_excluded(request, self.agents.values(), loads, decision, widened=widened)
                if back is not None and self.serve_excluded():
                    decision = back
            if (chosen := decision.chosen) is None:
                continue
            self.state.queue.remove(waiting)
            self.state.last_chosen[request.team] = chosen
            self._seat(request, chosen, now)
            loads = Loads.of(self.state.seats.values())
            outcome = remember(self.state, self._answer(request, "assigned", decision, now))
            self.notices.append(Notice("assigned", request.conversation_id, outcome=outcome))
        for waiting in self.state.queue:
            waiting.flagged = nobody_can_take(waiting.request, self.agents.values())

    def _anyone_free(self, loads: Loads) -> bool:
        return any(
            a.presence == "online" and loads.total.get(a.agent_id, 0) < sum(a.capacity.values())
            for a in self.agents.values()
        )

    def _seat(self, request: AssignmentRequest, agent: str, now: datetime) -> None:
        self.state.seats[request.conversation_id] = Seat(
            conversation_id=request.conversation_id,
            agent=agent,
            team=request.team,
            channel=request.channel,
            status=request.status,
            policy=request.policy,
            assigned_at=now,
            request=request,
        )

    def _unseat(self, seat: Seat, reason: str, now: datetime) -> None:
        del self.state.seats[seat.conversation_id]
        may_park = sum(w.parked for w in self.state.queue) < MAX_PARKED
        waiting = requeued(seat, self.requeue_afresh, may_park=may_park)
        if waiting is not None:
            self.state.queue.append(waiting)
        self.notices.append(
            Notice(
                "unassigned",
                seat.conversation_id,
                unassignment=Unassignment(
                    conversation_id=seat.conversation_id,
                    agent=seat.agent,
                    reason=reason,
                    requeued=waiting is not None,
                    at=now,
                ),
            )
        )

    # -- answers and views --------------------------------------------------------------------------

    def _outcome_of(self, request: AssignmentRequest, now: datetime) -> AssignmentOutcome:
        """The answer to a request just queued: served by `serve` already, or its place in the queue."""
        served = next(
            (n for n in reversed(self.notices) if n.outcome and n.outcome.request_id == request.request_id),
            None,
        )
        if served is not None and served.outcome is not None:
            self.notices.remove(served)  # the caller hears it in the answer, not as a signal too
            return served.outcome
        team = self.waiting_in(request.team)
        position = next(
            i for i, w in enumerate(team, 1) if w.request.conversation_id == request.conversation_id
        )
        decision = choose(
            request,
            self.agents.values(),
            Loads.of(self.state.seats.values()),
            last_chosen=None,
            widened=False,
            ties_by_after=self.ties_by_after,
        )
        outcome = self._answer(request, "queued", decision, now)
        outcome.queue_position, outcome.queue_length = position, len(team)
        return outcome

    def _answer(
        self,
        request: AssignmentRequest,
        result: Literal["assigned", "queued", "refused"],
        decision: AssignmentDecision,
        now: datetime,
    ) -> AssignmentOutcome:
        waiting = sum(1 for w in self.state.queue if w.request.team == request.team and not w.parked)
        return outcome_of(request, result, decision, now, waiting)

    def waiting_in(self, team: str) -> list[Waiting]:
        """The team's queue in the order it is served (a request's place, the queue's view)."""
        return [
            w for w in sorted(self.state.queue, key=serving_order) if w.request.team == team and not w.parked
        ]
