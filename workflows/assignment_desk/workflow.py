"""AssignmentDesk: one durable workflow per tenant that decides every assignment of that tenant.

Why one per tenant and not one per team (docs/ARCHITECTURE.md "Assignment"): an agent in two teams
has one capacity, so the loads of all teams must be decided in one place; one workflow decides one
request at a time, which makes "50 conversations, one free slot: exactly one gets it" a property of
the design rather than of a lock. Its state (seats, queue, rotation) lives in history, so waiting
survives worker and server restarts; the roster it decides on is read from the database by an
activity, so every decision replays with the roster it saw.

Conversations ask through an update (the answer comes back at once); the desk tells them later news
(a queued conversation served, an agent gone) by signal. The bookkeeping itself is pure
(engine/assignment/desk_book.py); this module is the shell: messages in, activities and signals out.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.workflow import ActivityConfig

with workflow.unsafe.imports_passed_through():
    from engine.assignment.answers import fit_for_carry
    from engine.assignment.desk_book import DeskBook, Notice
    from engine.assignment.desk_views import loads_view, queue_view, waiting_teams
    from engine.contracts.activities import RosterReads
    from engine.contracts.assignment import (
        CONVERSATION_STATUS,
        DESK_ASSIGNED,
        DESK_UNASSIGNED,
        DESK_WORKFLOW,
        LOADS_QUERY,
        QUEUE_QUERY,
        RELEASE,
        RELEASE_UPDATE,
        REQUEST_ASSIGNMENT,
        ROSTER_CHANGED,
        STATUS_UPDATE,
        WAITING_TEAMS_QUERY,
        AgentLoad,
        AssignmentOutcome,
        AssignmentRequest,
        DeskStart,
        DeskState,
        PresenceExpiry,
        Release,
        RosterChange,
        StatusReport,
        TeamQueue,
    )

# Messages a run takes before it continues as new (DeskStart.max_messages, 500): Temporal allows
# 2,000 updates per run, and the history (each message a few events) stays far below the size at
# which the server asks for it.
# Patch: a request waits for a roster read that a `roster_changed` in the same workflow task asked
# for (found by the assignment bench), not only for one under way; desks that answered before it
# replay as they ran.
WAIT_FOR_ASKED_READ = "desk-waits-for-asked-roster-read"
# Patch: equal least-loaded (most-spare) scores go to the agent least loaded once assigned, before
# the rotation (engine/assignment/choice.py). Asked once per run, when the run starts, before any
# message can lead to a choice; a run decided before it replays with the rotation alone.
TIES_BY_AFTER = "desk-breaks-ties-by-load-after"
# Patch: before continuing as new, the desk reads the roster a `roster_changed` asked for while a
# request still waits for it; without this the request (and every later one) waited forever.
READ_BEFORE_CONTINUING = "desk-reads-roster-before-continuing"
# Patch: a status letter's priority and SLA breach (sent by conversations since
# the-desk-hears-a-priority-change) move the conversation's queue place, and the desk serves again.
# Asked at the first letter that carries them, so a desk whose history holds such letters applied by
# a worker of the code before (which read the status alone) replays as it ran.
REPORTED_PRIORITY = "desk-serves-reported-priority"
# Patch: a reassignment nobody else can take keeps its agent (engine/assignment/choice.py
# `kept_by`); it was queued with its agent released and excluded, so in a team of one it waited for
# ever beside an idle agent. Asked when that first happens, so a desk whose history queued such a
# request replays as it ran.
KEEPS_WHEN_NOBODY_ELSE = "desk-keeps-the-agent-nobody-else-can-relieve"
# Patch: a conversation whose agent was lost (away past the grace period, removed) waits for anyone
# in its team, and parked while solved (engine/assignment/requeueing.py); its request was queued
# again as asked (naming the agent lost, or excluding a free colleague: it waited for ever) and a
# solved one was handed to a colleague. Asked when that first differs, so a desk whose history
# queued such a request replays as it ran.
REQUEUES_AFRESH = "desk-requeues-a-lost-conversation-for-anyone"
# Patch: a waiting conversation takes the status it reports, parked while solved
# (engine/assignment/requeueing.py `restatus`); solved while it waited, it was later handed to an
# agent and held a seat until it closed. Asked when that first differs, so a desk whose history
# kept such a place as it asked replays as it ran.
RESTATUSES_WAITING = "desk-parks-a-waiting-conversation-once-solved"
# Patch: a waiting conversation goes back to an agent it excludes (one who let the customer wait)
# when that agent can take it and nobody else can (engine/assignment/choice.py `back_to_excluded`);
# released over capacity, it waited for ever beside them once idle. Asked when that first differs.
SERVES_EXCLUDED = "desk-gives-it-back-when-nobody-else-can"
# Patch: a waiting conversation whose skills widened goes to an agent with them when one is eligible,
# an agent given it without them keeps it at an unanswered timeout nobody else can take, and one
# with them who held it past the team's widening wait lets a colleague without them relieve it
# (engine/assignment/choice.py `choose_waiting`, `kept_by`, `relief_past_widening`); widening
# dropped the skills, so a free German speaker lost to an idler English-only colleague, the holder
# lost it to the queue and had it back a team's wait later, and a silent skilled holder kept it at
# every timeout. Asked when that first differs.
SKILLS_FIRST = "desk-widening-still-prefers-the-skilled"
# Patch: a waiting conversation whose skills widened is no instant to wake for once widened; its
# widening instant stayed the desk's next one, always past, so the desk slept 1 ms and woke again for
# as long as nobody was free (~70 workflow tasks a second, a continue-as-new every 15-40 s, Temporal's
# database growing ~0.8 MB a minute: helper-108). Asked where the sleep first differs.
SLEEPS_PAST_WIDENING = "desk-sleeps-past-a-widening"
# The database down: the desk waits for the roster (requests wait with it) rather than guessing.
ROSTER_READ: ActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=10)),
}


@workflow.defn(name=DESK_WORKFLOW)
class AssignmentDesk:
    """A tenant's queues and loads; every message is applied at once, in history order."""

    @workflow.init
    def __init__(self, start: DeskStart) -> None:
        self._book = DeskBook(
            start.carried or DeskState(tenant=start.tenant),
            ties_by_after=workflow.patched(TIES_BY_AFTER),
            requeue_afresh=self._requeues_afresh,
            restatus_waiting=self._restatuses_waiting,
            serve_excluded=self._serves_excluded,
            skills_first=self._skills_first,
        )
        self._afresh: bool | None = None
        self._restatuses: bool | None = None
        self._excluded: bool | None = None
        self._skilled: bool | None = None
        self._stale = True  # each run reads the roster first: it may have changed while none ran
        self._reading = False
        self._messages = 0
        self._wake = False
        self._wait_for_asked_read: bool | None = None
        self._reported_priority: bool | None = None
        self._keeps: bool | None = None
        self._sleeps: bool | None = None
        self._fired_at: datetime | None = None
        self._max = start.max_messages

    @workflow.run
    async def run(self, start: DeskStart) -> None:
        while not self._full():
            if self._stale:
                await self._read_roster()
            await self._check_heartbeats()
            self._fired_at = workflow.now()
            self._book.fire(self._fired_at)
            await self._send_notices()
            self._wake = False
            try:
                await workflow.wait_condition(
                    lambda: self._wake or self._stale or bool(self._book.notices) or self._full(),
                    timeout=self._sleep_for(),
                )
            except TimeoutError:
                pass
        await self._finish_handlers()
        await self._send_notices()
        fit_for_carry(self._book.state)
        carried = DeskStart(tenant=start.tenant, carried=self._book.state, max_messages=self._max)
        workflow.continue_as_new(carried)

    async def _finish_handlers(self) -> None:
        """Let every accepted message finish before continuing as new.

        A request waits for the roster read that a `roster_changed` asked for (WAIT_FOR_ASKED_READ);
        when that signal is the run's last message, the loop above ends without the read, so it is
        read here. Before this, such a request waited forever, the run never continued, and every
        later request of the tenant waited behind it (the update limit, then 503s): the assignment
        bench hit it at about one continue-as-new in ten while agents' presence changed.
        """
        if not workflow.patched(READ_BEFORE_CONTINUING):
            await workflow.wait_condition(workflow.all_handlers_finished)
            return
        while True:
            await workflow.wait_condition(lambda: workflow.all_handlers_finished() or self._stale)
            if workflow.all_handlers_finished():
                return
            await self._read_roster()

    def _full(self) -> bool:
        return self._messages >= self._max or workflow.info().is_continue_as_new_suggested()

    def _sleep_for(self) -> timedelta | None:
        instants = list(self._book.heartbeat_checks().values())
        now = workflow.now()
        due = self._book.next_instant()
        # Past the instant the queue was last served at, not now: a widening due while the notices
        # went out has not been served widened yet, and wakes the desk at once.
        served = self._fired_at or now
        if due is not None and due <= now and (later := self._book.next_instant(after=served)) != due:
            if self._sleeps is None:  # asked where it first differs: a widening already past
                self._sleeps = workflow.patched(SLEEPS_PAST_WIDENING)
            due = later if self._sleeps else due
        if due is not None:
            instants.append(due)
        if not instants:
            return None
        return max(min(instants) - now, timedelta(milliseconds=1))

    async def _read_roster(self) -> None:
        self._stale, self._reading = False, True
        try:
            roster = await workflow.execute_activity_method(
                RosterReads.load_roster, self._book.state.tenant, **ROSTER_READ
            )
        finally:
            self._reading = False
        self._book.apply_roster(roster, workflow.now())

    async def _check_heartbeats(self) -> None:
        """Agents whose client went silent: the database drops them to away unless a heartbeat came."""
        roster = self._book.state.roster
        if roster is None:
            return
        now = workflow.now()
        cutoff = now - timedelta(seconds=roster.heartbeat_timeout_seconds)
        for agent_id, due in self._book.heartbeat_checks().items():
            if due <= now:
                expiry = PresenceExpiry(tenant=self._book.state.tenant, agent_id=agent_id, cutoff=cutoff)
                record = await workflow.execute_activity_method(
                    RosterReads.expire_presence, expiry, **ROSTER_READ
                )
                if record is None:
                    self._stale = True  # removed meanwhile: the next read drops it
                else:
                    self._book.apply_agent(record, workflow.now())

    async def _send_notices(self) -> None:
        """Tell conversations what happened to them; one that no longer exists gives its seat back.

        Conversations are told concurrently, each one's notices in order: an agent's conversation
        handed to a colleague must hear "unassigned" before "assigned".
        """
        while self._book.notices:
            batch, self._book.notices = self._book.notices, []
            by_conversation: dict[str, list[Notice]] = {}
            for notice in batch:
                by_conversation.setdefault(notice.conversation_id, []).append(notice)
            told = await asyncio.gather(*(self._tell_all(n) for n in by_conversation.values()))
            for conversation_id, ok in zip(by_conversation, told, strict=True):
                if not ok:
                    self._book.release(conversation_id, workflow.now())

    async def _tell_all(self, notices: list[Notice]) -> bool:
        try:
            for notice in notices:
                await self._tell(notice)
        except FailureError:  # the conversation is gone (completed, terminated): nothing to tell
            return False
        return True

    async def _tell(self, notice: Notice) -> None:
        handle = workflow.get_external_workflow_handle(notice.conversation_id)
        if notice.kind == "assigned":
            await handle.signal(DESK_ASSIGNED, notice.outcome)
        else:
            await handle.signal(DESK_UNASSIGNED, notice.unassignment)

    # -- messages -----------------------------------------------------------------------------------

    @workflow.update(name=REQUEST_ASSIGNMENT)
    async def request_assignment(self, request: AssignmentRequest) -> AssignmentOutcome:
        if self._wait_for_asked_read is None:
            self._wait_for_asked_read = workflow.patched(WAIT_FOR_ASKED_READ)
        asked = self._wait_for_asked_read
        await workflow.wait_condition(
            lambda: self._book.state.roster is not None and not self._reading and not (asked and self._stale)
        )
        self._messages += 1
        self._wake = True
        return self._book.request(request, workflow.now(), may_keep=self._may_keep)

    def _requeues_afresh(self) -> bool:
        if self._afresh is None:
            self._afresh = workflow.patched(REQUEUES_AFRESH)
        return self._afresh

    def _restatuses_waiting(self) -> bool:
        if self._restatuses is None:
            self._restatuses = workflow.patched(RESTATUSES_WAITING)
        return self._restatuses

    def _serves_excluded(self) -> bool:
        if self._excluded is None:
            self._excluded = workflow.patched(SERVES_EXCLUDED)
        return self._excluded

    def _skills_first(self) -> bool:
        if self._skilled is None:
            self._skilled = workflow.patched(SKILLS_FIRST)
        return self._skilled

    def _may_keep(self) -> bool:
        if self._keeps is None:
            self._keeps = workflow.patched(KEEPS_WHEN_NOBODY_ELSE)
        return self._keeps

    @request_assignment.validator
    def _validate_request(self, request: AssignmentRequest) -> None:
        if not request.conversation_id.startswith(f"conversation:{self._book.state.tenant}:"):
            raise ApplicationError("a desk serves its own tenant's conversations only", type="WrongTenant")

    @workflow.signal(name=RELEASE)
    def release(self, release: Release) -> None:
        self._messages += 1
        self._book.release(release.conversation_id, workflow.now())
        self._wake = True

    @workflow.update(name=RELEASE_UPDATE)
    def release_seat(self, release: Release) -> None:
        """`release` as an update: one that reaches the run as it continues as new goes to the next run.

        A signal arriving then makes Temporal refuse the continue-as-new; the SDK evicts the desk and
        replays its whole run before trying again, answering nothing meanwhile (seconds on a loaded
        machine, and more signals arrive during it). Conversations send updates; the signal stays for
        runs that were sent one, and as their fallback.
        """
        self.release(release)

    @workflow.signal(name=CONVERSATION_STATUS)
    def conversation_status(self, report: StatusReport) -> None:
        self._messages += 1
        if report.priority is not None and self._reported_priority is None:
            self._reported_priority = workflow.patched(REPORTED_PRIORITY)
        reported = bool(self._reported_priority) and report.priority is not None
        self._book.report_status(
            report.conversation_id,
            report.status,
            workflow.now(),
            priority=report.priority if reported else None,
            breach_at=report.breach_at if reported else None,
        )
        self._wake = True

    @workflow.update(name=STATUS_UPDATE)
    def report_status(self, report: StatusReport) -> None:
        """`conversation_status` as an update (see `release_seat`)."""
        self.conversation_status(report)

    @workflow.signal(name=ROSTER_CHANGED)
    def roster_changed(self, change: RosterChange) -> None:
        self._messages += 1
        self._stale = True

    @workflow.query(name=QUEUE_QUERY)
    def queue(self, team: str) -> TeamQueue:
        return queue_view(self._book, team)

    @workflow.query(name=LOADS_QUERY)
    def loads(self) -> list[AgentLoad]:
        return loads_view(self._book)

    @workflow.query(name=WAITING_TEAMS_QUERY)
    def waiting_teams(self) -> list[str]:
        return waiting_teams(self._book)
