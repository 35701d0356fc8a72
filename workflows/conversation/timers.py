"""Timers are instants in state: SLA warning and deadline per target, pending escalations, idle
reminder, auto-close, reopen window, snooze and survey. The main loop sleeps until the earliest
(or until an event changes them) and then fires whatever is due, in a fixed order."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine.contracts.conversation import DecisionEntry, Status
    from workflows.conversation.core import TERMINAL
    from workflows.conversation.deciding import Deciding
    from workflows.conversation.patches_late import OVERDUE_BREACH_PATCH, SURVEY_EXPIRY_RECORDED_PATCH
    from workflows.conversation.status import Raised

# Timers that move the status by themselves, with what the trail says about it.
STATUS_TIMERS = (
    ("auto_close_at", Status.CLOSED, "closed: no customer reply while pending"),
    ("reopen_window_ends_at", Status.CLOSED, "closed: the reopen window after solving is over"),
    ("snooze_ends_at", Status.OPEN, "reopened: snooze ended"),
)


# A sleep longer than RE_ARM_MIN wakes early (RE_ARM_LEAD before the instant, or half-way) and is
# re-armed: one more timer per instant that fires (two when the exact sleep below wakes before the
# instant), none for one cancelled by an event first.
RE_ARM_LEAD = timedelta(seconds=5)
RE_ARM_MIN = timedelta(milliseconds=200)
# The exact sleep is aimed this much before its instant: it starts when its (near-empty) task
# completes, 8-22 ms after the `workflow.now()` it was computed from (bench sla-accuracy's "timer set
# late"), and the task it wakes starts another ~6-10 ms after it fires, so the task still starts at or
# after the instant. One that starts before it sleeps the rest, exactly, once more.
EXACT_LEAD = timedelta(milliseconds=10)


class Timers(Deciding):
    """The instants the conversation acts on by itself, and what happens when one is due."""

    def _due_instants(self) -> list[datetime]:
        s = self._state
        instants = [
            i
            for i in (
                s.timers.idle_at,
                s.timers.auto_close_at,
                s.timers.reopen_window_ends_at,
                s.timers.snooze_ends_at,
            )
            if i is not None
        ]
        for t in s.sla.targets.values():
            if t.running and t.deadline is not None:
                instants.append(t.deadline)
                if t.warning_at is not None and not t.warned:
                    instants.append(t.warning_at)
        instants += [e.due_at for e in s.sla.escalations if e.due_at is not None]  # None: held
        if s.survey.status == "scheduled" and s.survey.due_at is not None:
            instants.append(s.survey.due_at)
        if s.survey.status == "sent" and s.survey.expires_at is not None:
            instants.append(s.survey.expires_at)
        if s.assignment is not None and s.assignment.unanswered_at is not None:
            instants.append(s.assignment.unanswered_at)
        if s.events_retry_at is not None:  # subscription events to send again (records.py `_send_events`)
            instants.append(s.events_retry_at)
        return instants

    def _sleep_for(self, *, exact: bool = False) -> timedelta | None:
        """How long the main loop sleeps: until the earliest instant, or (issue 15) a little before it.

        A timer starts when the workflow task that computed it completes, but its duration is
        measured from that task's start (`workflow.now()`), so it fires late by the task's processing
        time (the decisions and sends of a first message: tens to hundreds of ms). With the patch the
        loop wakes RE_ARM_LEAD early (half the gap when that is shorter) and sleeps again, `exact`,
        for what is left, computed in a task that does nothing else, so the instant fires within a
        few ms; that sleep is aimed EXACT_LEAD early for the few ms its own task takes.
        """
        instants = self._due_instants()
        if not instants:
            return None
        gap = max(min(instants) - workflow.now(), timedelta(0))
        if self._local_io() and not exact and gap > RE_ARM_MIN:
            return gap - min(RE_ARM_LEAD, gap / 2)
        if self._local_io() and gap > 2 * EXACT_LEAD:
            return gap - EXACT_LEAD
        return gap

    def _is_due(self) -> bool:
        now = workflow.now()
        return any(i <= now for i in self._due_instants())

    def _instant(self, due: datetime | None) -> datetime | None:
        """A due instant as the time its event happened (issue 15's runs), else None (now)."""
        return due if self._local_io() else None

    async def _fire_due_timers(self) -> None:
        s = self._state
        now = workflow.now()
        events_before = s.event_seq
        await self._fire_due_sla(now)
        for esc in [e for e in s.sla.escalations if e.due_at is not None and e.due_at <= now]:
            s.sla.escalations.remove(esc)
            seq = self._next_event()
            entry = DecisionEntry(
                seq=seq,
                event="sla.escalation",
                at=self._instant(esc.due_at) or now,
                note=f"escalation level {esc.level} of the SLA policy ({esc.target} breached)",
            )
            self._record(entry)
            raised: Raised = []
            entry.executed += await self._escalate(
                seq,
                "0",
                esc.level,
                self._context("sla.breached", 0, None, {}, self._instant(esc.due_at)),
                raised,
                esc.target,
            )
            await self._follow(raised, depth=1)
        current = s.assignment
        if current is not None and current.unanswered_at is not None and current.unanswered_at <= now:
            await self._unanswered(current.unanswered_at)
        timers = s.timers
        if timers.idle_at is not None and timers.idle_at <= now:
            timers.idle_at = None
            await self._process("conversation.idle")
        for attr, status, why in STATUS_TIMERS:
            due = getattr(timers, attr)
            if due is not None and due <= now and s.status not in TERMINAL:
                setattr(timers, attr, None)
                settings = self._pack.settings if self._pack is not None else None
                if (
                    attr == "auto_close_at"
                    and settings is not None
                    and settings.auto_close_status == "solved"
                ):
                    # A pack's choice (none before it existed, so no patch): runs on older packs close.
                    status, why = Status.SOLVED, "solved: no customer reply while pending"
                await self._system_status(status, why)
        survey = s.survey
        if survey.status == "scheduled" and survey.due_at is not None and survey.due_at <= now:
            await self._send_survey()
        if survey.status == "sent" and survey.expires_at is not None and survey.expires_at <= now:
            survey.status = "expired"
            if self._patched(SURVEY_EXPIRY_RECORDED_PATCH):
                entry = DecisionEntry(seq=self._next_event(), event="survey.expired", at=survey.expires_at)
                entry.note = "the survey expired unanswered"
                self._record(entry)
        if s.event_seq != events_before:  # handlers upsert their own changes; only timers' are new here
            self._upsert_search_attributes()

    async def _fire_due_sla(self, now: datetime) -> None:
        """The SLA warnings and breaches due by `now`, each at its own instant."""
        for t in list(self._state.sla.targets.values()):
            if t.running and t.warning_at is not None and not t.warned and t.warning_at <= now:
                t.warned = True
                await self._process(
                    "sla.warning", extra={"event": {"sla_target": t.name}}, at=self._instant(t.warning_at)
                )
            if t.running and t.deadline is not None and t.deadline <= now:
                t.breached_at, t.running = t.deadline, False
                await self._process(
                    "sla.breached", extra={"event": {"sla_target": t.name}}, at=self._instant(t.deadline)
                )

    async def _breach_overdue(self) -> None:
        """Breach a clock whose deadline passed before the main loop handled its timer, before an
        event can stop it (OVERDUE_BREACH_PATCH): a reply, a pause or a solve that came first (a
        message the channel held past its target, a busy worker) marked it met or paused it with no
        time left, never breached, and the KPIs counted it met. Asked only when one is overdue."""
        now = workflow.now()
        overdue = any(
            t.running and t.deadline is not None and t.deadline <= now
            for t in self._state.sla.targets.values()
        )
        if overdue and self._patched(OVERDUE_BREACH_PATCH):
            await self._ensure_pack()  # a carried run that woke for an update loads it on demand
            await self._fire_due_sla(now)

    async def _unanswered(self, due: datetime) -> None:
        """The assignee left the customer waiting too long: `assignment.timeout`, then someone else."""
        s = self._state
        assert s.assignment is not None
        s.assignment.unanswered_at = None
        agent, minutes = s.assignee, s.assignment.policy.unanswered_minutes
        seq = await self._process(
            "assignment.timeout",
            note=f"{agent} left the customer waiting {minutes:g} business minutes",
            at=self._instant(due),
        )
        if s.assignee != agent or s.assignment is None or s.status in TERMINAL:
            return  # the rules already reassigned, released or closed it
        entry = DecisionEntry(seq=self._next_event(), event="assignment.reassign", at=workflow.now())
        self._record(entry)
        outcome = await self._ask_desk(
            f"{seq}:reassign",
            strategy=s.assignment.strategy if s.assignment.strategy != "agent" else None,
            skills=s.assignment.skills,
            exclude=[agent] if agent else [],
            reason=f"unanswered for {minutes:g} business minutes",
        )
        raised: Raised = []
        cause = f"reassigned: {agent} left the customer waiting {minutes:g} business minutes"
        result = await self._take(outcome, raised, cause=cause)
        entry.note = result.detail
        await self._follow(raised)

    async def _system_status(self, status: Status, why: str) -> None:
        seq = self._next_event()
        self._record(DecisionEntry(seq=seq, event="timer", at=workflow.now(), note=why))
        raised: Raised = []
        await self._set_status(status.value, raised)
        for _, extra in raised:  # subscribers read a timer's close apart from a person's (events.py)
            extra["timer"] = True
        await self._follow(raised)

    async def _send_survey(self) -> None:
        s = self._state
        seq = self._next_event()
        entry = DecisionEntry(seq=seq, event="survey.due", at=workflow.now())
        self._record(entry)
        templates = self.pack.templates
        if s.status not in (Status.SOLVED, Status.CLOSED) or "survey" not in templates:
            s.survey.status = "skipped"
            entry.note = "survey skipped: " + (
                "the conversation was reopened" if "survey" in templates else "no `survey` template"
            )
            return
        context = self._context("survey.due", 0, None, {})
        lang, text = self._template("survey", context)
        template_only = self._outside_free_form_window()
        failure = await self._deliver(
            f"{seq}:0",
            kind="survey",
            text=text,
            to=s.customer.address,
            template="survey",
            language=lang,
            template_only=template_only,
        )
        if isinstance(failure, str):
            s.survey.status, entry.note = "failed", f"survey not sent: {failure}"
            return
        s.survey.status, s.survey.sent_at = "sent", workflow.now()
        expiry = self.pack.settings.survey_expiry_minutes
        s.survey.expires_at = workflow.now() + timedelta(minutes=expiry) if expiry else None
        entry.note = "survey sent" + (
            " as a template message (outside the channel's free-form window)" if template_only else ""
        )
