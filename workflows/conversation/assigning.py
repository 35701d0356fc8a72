"""Assignment: what the conversation asks of its tenant's assignment desk and what it does with the answer.

The desk (workflows/assignment_desk/) decides who; this layer builds the request from the
conversation (team, channel, status, priority, the earliest SLA deadline, the team's policy from the
pinned pack), applies the answer to state, keeps the desk told of the status while it holds an
agent and of the earliest SLA deadline while the conversation waits in its queue, and runs the
unanswered timer: an assignee who leaves the customer waiting for the team's `unanswered_minutes`
business minutes loses the conversation to someone else.

Everything here runs behind the `assignment-desk` patch (asked at the first assignment), so a
conversation that assigned "to the team" before the desk existed replays as it ran.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import LocalActivityConfig

with workflow.unsafe.imports_passed_through():
    from engine.contracts.activities import Desk
    from engine.contracts.assignment import (
        AssignmentOutcome,
        ConversationAssignment,
        DeskAsk,
        DeskLetter,
        Release,
        StatusReport,
        decision_dict,
    )
    from engine.contracts.decisions import TimeQuery
    from engine.rules.actions import ActionResult
    from workflows.conversation.delivery import Delivery
    from workflows.conversation.patches import (
        DESK_DEADLINES_PATCH,
        PRIORITY_TOLD_PATCH,
        UNANSWERED_ON_TEAM_CALENDAR_PATCH,
    )
    from workflows.conversation.patches_late import UNANSWERED_STOPS_PATCH

# Statuses in which nobody waits on the assignee: the customer (pending), nobody (on hold, solved, closed).
NOBODY_WAITS = frozenset({"pending", "on_hold", "solved", "closed"})
# Events raised while handling one, in order, each with the context it adds for the rules.
Raised = list[tuple[str, dict[str, Any]]]

ASSIGNMENT_DESK_PATCH = "assignment-desk"
# A desk answers in one workflow task; it may wait for the database (the roster), so the call is
# retried rather than failed: the conversation waits for its answer like it waits for a decision.
DESK_CALL: LocalActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=4)
    ),
}


class Assigning(Delivery):
    """Requests to the desk, its answers, the status it counts loads by, the unanswered timer."""

    _desk_on: bool | None = None

    def _desk(self) -> bool:
        """Whether this run assigns through the desk (asked at its first assignment; memoised per run)."""
        if self._desk_on is None:
            self._desk_on = self._patched(ASSIGNMENT_DESK_PATCH)
        return self._desk_on

    async def _ask_desk(
        self,
        key: str,
        *,
        strategy: str | None,
        skills: list[str],
        reason: str,
        agent: str | None = None,
        team: str | None = None,
        exclude: list[str] | None = None,
    ) -> AssignmentOutcome:
        """The desk's answer to one request, whose id is the conversation's key for this event and action."""
        s = self._state
        pack = self.pack
        team = team if team is not None else s.team or ""
        policy = pack.team_policy(team)
        request_strategy = "agent" if agent else (strategy or policy.strategy)
        request = {
            "request_id": self._key(key),
            "conversation_id": s.conversation_id,
            "team": team,
            "channel": s.channel.value,
            "status": s.status.value,
            "priority": s.priority,
            "breach_at": self._desk_deadline(),
            "requested_at": workflow.now(),
            "strategy": request_strategy,
            "agent": agent,
            "skills": skills,
            "exclude": exclude or [],
            "policy": policy,
            "reason": reason,
        }
        ask = DeskAsk.model_validate({"tenant": s.tenant, "request": request})
        outcome = await workflow.execute_local_activity_method(Desk.ask_desk, ask, **DESK_CALL)
        # A seat (or a queue place) at the desk; "recorded as reported" (no roster) holds neither.
        if outcome.result == "queued" or (outcome.result == "assigned" and outcome.decision.candidates):
            s.assignment = ConversationAssignment(
                request_id=ask.request.request_id,
                team=team,
                strategy=request_strategy,
                skills=skills,
                policy=policy,
                breach_told=ask.request.breach_at,
            )
        return outcome

    def _language_skills(self, team_name: str) -> list[str]:
        """`lang:<language>` when the team declares it; `de-AT` and `DE` ask for `lang:de`: teams
        declare languages, not regional variants."""
        s = self._state
        skill = f"lang:{(s.language or '').split('-')[0].lower()}"
        team = self.pack.teams.get(team_name)
        return [skill] if s.language and team is not None and skill in team.skills else []

    def _desk_deadline(self) -> datetime | None:
        """The earliest deadline of the thread not met: a running one, or a breach, also one a new
        clock replaced (DESK_DEADLINES_PATCH; a breach gave way to the next running deadline, so an
        overdue conversation went behind ones still in time). A paused target has none. Asked only
        where a breach comes before every running deadline."""
        running, breaches = self._deadlines_and_breaches()
        first = min(running, default=None)
        overdue = min(breaches, default=None)
        if overdue is None or (first is not None and first <= overdue):
            return first
        return overdue if self._patched(DESK_DEADLINES_PATCH) else first

    def _deadlines_and_breaches(self) -> tuple[list[datetime], list[datetime]]:
        sla = self._state.sla
        targets = [t for t in sla.targets.values() if t.met_at is None]
        running = [t.deadline for t in targets if t.running and t.deadline]
        breaches = [t.breached_at for t in targets if t.breached_at is not None]
        return running, breaches + [b.breached_at for b in sla.earlier_breaches]

    async def _flush_records(self) -> None:
        """Every handler ends with its records (records.py): the desk hears first of a deadline the
        handling moved, so a flush with no records to send still tells it."""
        await self._tell_desk_deadline()
        await super()._flush_records()

    async def _tell_desk_deadline(self) -> None:
        """A queued conversation whose earliest deadline moved since the desk heard it tells the desk,
        which serves its queue by priority, then that deadline (DESK_DEADLINES_PATCH): a rule applying
        a faster policy left it behind conversations due later. Asked only when the desk holds
        another deadline than the one it would be told."""
        current = self._state.assignment
        if current is None or not current.queued:
            return
        running, breaches = self._deadlines_and_breaches()
        if current.breach_told == min(running + breaches, default=None):
            return
        if self._patched(DESK_DEADLINES_PATCH):
            await self._tell_desk_status(self._state.status.value)

    async def _take(
        self,
        outcome: AssignmentOutcome,
        raised: Raised,
        *,
        cause: str | None = None,
        actor: str | None = None,
    ) -> ActionResult:
        """Apply the desk's answer: an agent (conversation.assigned), a queue place, or a refusal.

        `cause`: why it was asked when no rule asked (the desk serving its queue, a person through
        the API, the unanswered timer), the note of the `conversation.assigned` it raises: the audit
        told them apart by guesswork (a state note, no command: no patch)."""
        s, current = self._state, self._state.assignment
        decision = outcome.decision
        if outcome.result == "refused":
            # A team nobody in the roster belongs to is assigned outside convoflow: not a failure.
            named = outcome.decision.strategy == "agent"
            return ActionResult("failed" if named else "skipped", f"not assigned: {decision.reason}")
        by = {"actor": actor, "note": cause} if actor else {}  # who, through the API (events.py: `actor`)
        if current is None:  # a tenant without a roster: what it reported, no seat to keep
            s.assignee = outcome.agent
            raised.append(("conversation.assigned", {"assignment": decision_dict(decision)} | by))
            return ActionResult("done", f"assigned to {outcome.agent}: {decision.reason}")
        if outcome.result == "queued":
            current.queued, current.queue_position = True, outcome.queue_position
            current.queue_length = outcome.queue_length
            if s.assignee is not None:  # it asked for someone else and nobody is free: back to the queue
                previous, s.assignee = s.assignee, None
                raised.append(
                    ("conversation.unassigned", {"note": f"{previous} released: nobody else is free yet"})
                )
            return ActionResult(
                "done",
                f"queued in team {outcome.team}: position {outcome.queue_position} of {outcome.queue_length} "
                f"({decision.reason})",
            )
        chosen = next((c for c in decision.candidates if c.agent == outcome.agent), None)
        s.assignee = outcome.agent
        current.queued, current.queue_position, current.queue_length = False, None, outcome.queue_length
        current.assigned_at = workflow.now()
        if chosen is not None:
            current.agent_presence, current.agent_load, current.agent_capacity = (
                chosen.presence,
                chosen.load + 1,
                chosen.capacity,
            )
        await self._arm_unanswered()
        if outcome.kept:  # asked for someone else, nobody else can take it: nothing changed hands
            return ActionResult("done", decision.reason)
        assigned: dict[str, Any] = {"assignment": decision_dict(decision)}
        raised.append(("conversation.assigned", assigned | ({"note": cause} if cause else {}) | by))
        return ActionResult("done", f"assigned to {outcome.agent}: {decision.reason}")

    async def _arm_unanswered(self) -> None:
        """Start the unanswered timer while the customer waits on an assignee (team's business minutes)."""
        s, current = self._state, self._state.assignment
        minutes = current.policy.unanswered_minutes if current else None
        if current is None or s.assignee is None or minutes is None or current.unanswered_at is not None:
            return
        if not self._customer_waits():
            return
        if s.status.value in NOBODY_WAITS and self._patched(UNANSWERED_STOPS_PATCH):
            return  # an assignment while pending or solved: it starts when the conversation is open
        # The team's calendar (what `business_hours` reads), as README says; it counted on the SLA
        # policy's, so a 24/7 team whose policy keeps office hours waited for Monday. Asked only
        # where the two differ.
        team_calendar = self._calendar_name()
        calendar = None
        if team_calendar != s.sla.calendar and self._patched(UNANSWERED_ON_TEAM_CALENDAR_PATCH):
            calendar = team_calendar
        query = TimeQuery(op="deadline", start=workflow.now(), minutes=minutes)
        (due,) = await self._deadlines([query], calendar)
        current.unanswered_at = due

    def _customer_waits(self) -> bool:
        """Whether the customer's last message is unanswered."""
        s = self._state
        return s.last_customer_message_at is not None and (
            s.last_agent_reply_at is None or s.last_agent_reply_at < s.last_customer_message_at
        )

    async def _unanswered_follows_status(self, previous: str, new: str) -> None:
        """A status nobody waits on stops the assignee's unanswered timer; open again, it starts
        while the customer waits (UNANSWERED_STOPS_PATCH): it ran on, and a solved conversation
        timed out and went to a colleague, a pending one from agent to agent. Asked only when a
        timer is armed at such a change, or could start."""
        current = self._state.assignment
        if current is None or current.policy.unanswered_minutes is None:
            return
        if new in NOBODY_WAITS and current.unanswered_at is not None:
            if self._patched(UNANSWERED_STOPS_PATCH):
                current.unanswered_at = None
        elif new == "open" and previous in NOBODY_WAITS and current.unanswered_at is None:
            if (
                self._state.assignee is not None
                and self._customer_waits()
                and self._patched(UNANSWERED_STOPS_PATCH)
            ):
                await self._arm_unanswered()

    async def _tell_desk_status(self, status: str) -> None:
        """Keep the desk's load count right; a closed conversation gives its seat or queue place back."""
        s = self._state
        if s.assignment is None:
            return
        if status == "closed":
            s.assignment = None
            letter = DeskLetter(
                tenant=s.tenant, release=Release(conversation_id=s.conversation_id, reason="closed")
            )
        else:
            report = StatusReport(
                conversation_id=s.conversation_id,
                status=status,
                priority=s.priority,
                breach_at=self._desk_deadline(),
            )
            s.assignment.breach_told = report.breach_at
            letter = DeskLetter(tenant=s.tenant, status=report)
        await workflow.execute_local_activity_method(Desk.tell_desk, letter, **DESK_CALL)

    async def _tell_desk_priority(self) -> None:
        """The priority changed while the desk holds the conversation (a queue place or a seat): the
        desk serves its queue by priority, then SLA breach, from what it was told last."""
        s = self._state
        if s.assignment is not None and self._patched(PRIORITY_TOLD_PATCH):
            await self._tell_desk_status(s.status.value)

    async def _release_to_desk(self, reason: str) -> None:
        s = self._state
        s.assignment = None
        letter = DeskLetter(
            tenant=s.tenant, release=Release(conversation_id=s.conversation_id, reason=reason)
        )
        await workflow.execute_local_activity_method(Desk.tell_desk, letter, **DESK_CALL)
