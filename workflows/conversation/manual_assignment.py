"""A person's assignment through the API: to an agent they name, or to a team alone.

The desk checks a named agent (presence, capacity, skills) and refuses one who cannot take the
conversation, recorded as `assignment.refused`. A team alone is asked as a rule's `assign` asks
(actions.py `assign_in_team`): the team's strategy chooses among its agents, those who speak the
conversation's language when the team declares it, and the conversation waits in the team's queue
when nobody is free (`assignment.queued` on the trail; an agent who had it is
`conversation.unassigned`). A supervisor could move a conversation to another team only by naming
one of its agents, so one for billing stayed with the wrong person until someone was free, or went
to nobody and out of every queue.

Old histories never send a team alone (the API's contract required the agent), so this path needs
no patch: it runs only for requests that could not be made before.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.assignment import AssignmentOutcome, decision_dict
    from engine.contracts.conversation import DecisionEntry, EventReceipt
    from engine.contracts.helpdesk_actions import Assignment
    from workflows.conversation.inbox import Inbox
    from workflows.conversation.status import Raised


class ManualAssignment(Inbox):
    """What `POST .../assignment` does through the tenant's assignment desk."""

    async def _assign_through_desk(self, assignment: Assignment) -> EventReceipt:
        """A person assigned it: the desk checks the agent (presence, capacity, skills) and keeps the load."""
        if assignment.agent_id is None:
            return await self._send_to_team(assignment.team or "", assignment.actor)
        s = self._state
        through = "assigned through the API" + (f" by {assignment.actor}" if assignment.actor else "")
        team = assignment.team or s.team
        if s.assignee == assignment.agent_id and team == s.team:
            return self._receipt(s.event_seq, duplicate=True, assignment=True)
        seq = self._next_event()
        outcome = await self._ask_desk(
            f"{seq}:assign",
            strategy="agent",
            agent=assignment.agent_id,
            team=team or "",
            skills=s.assignment.skills if s.assignment is not None else [],
            reason=through,
        )
        if outcome.result != "assigned":
            self._record_refusal(seq, outcome)
            raise ApplicationError(
                f"agent {assignment.agent_id} cannot take this conversation: {outcome.decision.reason}",
                type="AssignmentRefused",
            )
        s.team = team
        raised: Raised = []
        await self._take(outcome, raised, cause=through, actor=assignment.actor)
        last = await self._follow(raised)
        await self._flush_records()
        self._changed()
        return self._receipt(last or seq, assignment=True)

    async def _send_to_team(self, team: str, actor: str | None = None) -> EventReceipt:
        """The team's strategy chooses its agent now, or it waits in the team's queue."""
        s = self._state
        through = f"sent to team {team} through the API" + (f" by {actor}" if actor else "")
        current = s.assignment
        # In the team already, waiting in its queue or with one of its agents: a repeat (a client's
        # retry asked the desk again, and round robin handed the conversation to the next agent).
        # To have the team choose again, unassign it first.
        if team == s.team and current is not None and current.team == team:
            if current.queued or s.assignee is not None:
                return self._receipt(s.event_seq, duplicate=True, assignment=True)
        seq = self._next_event()
        outcome = await self._ask_desk(
            f"{seq}:assign",
            strategy=None,
            team=team,
            skills=self._language_skills(team),
            reason=through,
        )
        if outcome.result == "refused":
            self._record_refusal(seq, outcome)
            raise ApplicationError(
                f"team {team} cannot take this conversation: {outcome.decision.reason}", type="TeamRefused"
            )
        s.team = team
        raised: Raised = []
        previous = s.assignee
        queued = outcome.result == "queued"
        if queued:  # the queue place said in the trail, with the agent it left if it had one
            s.assignee = None
        result = await self._take(outcome, raised, cause=through, actor=actor)
        if queued and previous is not None:
            by = f" by {actor}" if actor else ""
            note = f"{previous} unassigned: sent to team {team}'s queue through the API{by} ({result.detail})"
            raised.append(("conversation.unassigned", {"note": note} | ({"actor": actor} if actor else {})))
        if not raised:  # it waits in the queue, as it did or with nobody before
            entry = DecisionEntry(
                seq=seq,
                event="assignment.queued",
                at=workflow.now(),
                note=f"{through}: {result.detail}",
                assignment=decision_dict(outcome.decision),
            )
            self._record(entry)
        last = await self._follow(raised)
        await self._flush_records()
        self._changed()
        return self._receipt(last or seq, assignment=True)

    def _record_refusal(self, seq: int, outcome: AssignmentOutcome) -> None:
        entry = DecisionEntry(
            seq=seq,
            event="assignment.refused",
            at=workflow.now(),
            note=outcome.decision.reason,
            assignment=decision_dict(outcome.decision),
        )
        self._record(entry)
