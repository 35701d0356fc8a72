"""SLA clocks of a conversation: start, pause, resume, meet, and a policy change that keeps consumed time.

A layer of ConversationWorkflow (deterministic workflow code, see core.py). Targets count business
minutes; every instant (deadline, warning) comes from the `business_time` local activity on the
policy's calendar, so it is recorded in history, never recomputed on replay. Pausing stores the
business minutes left; resuming asks for a new deadline from them, so a deadline moves by exactly
the paused business time.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine.contracts.activities import RuleDecisions
    from engine.contracts.decisions import SlaClockView, TimeQuery, TimeRequest
    from engine.contracts.sla_state import EarlierBreach, PendingEscalation, SlaState, SlaTarget
    from engine.rules.pack import SlaPolicy
    from workflows.conversation.options import LOCAL
    from workflows.conversation.patches import (
        BREACHES_KEPT_PATCH,
        POLICY_CHANGE_KEEPS_PATCH,
        SLA_FROM_RECEIVED_PATCH,
    )
    from workflows.conversation.patches_late import (
        ESCALATIONS_WAIT_PATCH,
        POLICY_CHANGE_KEEPS_BREACH_PATCH,
        SAME_HANDLING_POLICY_PATCH,
        WAKE_FROM_RECEIVED_PATCH,
    )
    from workflows.conversation.records import Records


class SlaClocks(Records):
    """Clocks per target (first response, next response, resolution) of the conversation's policy."""

    async def _business_time(
        self, queries: list[TimeQuery], calendar: str | None = None
    ) -> list[str | float]:
        """On `calendar`, else the SLA policy's (none: wall-clock time)."""
        request = TimeRequest(
            pack_hash=self._state.pack_hash or "",
            calendar=calendar or self._state.sla.calendar,
            queries=queries,
        )
        return await workflow.execute_local_activity_method(RuleDecisions.business_time, request, **LOCAL)

    async def _deadlines(self, queries: list[TimeQuery], calendar: str | None = None) -> list[datetime]:
        return [datetime.fromisoformat(str(a)) for a in await self._business_time(queries, calendar)]

    async def _apply_sla(self, name: str) -> None:
        """Start the policy's clocks; a changed policy keeps the business time already consumed."""
        s = self._state
        policy = self.pack.sla_policies[name]
        if s.sla.policy == name:
            return
        consumed: dict[str, float] = {}
        replaced_unrun = self._replaced_in_its_own_handling()
        previous = s.sla.targets if s.sla.policy is not None and not replaced_unrun else {}
        stays_breached: dict[str, SlaTarget] = {}
        if s.sla.policy is not None and not replaced_unrun:
            await self._pause_sla()
            consumed = {
                t.name: t.target_minutes - t.remaining_minutes
                for t in s.sla.targets.values()
                if t.met_at is None and t.breached_at is None
            }
            stays_breached = self._breaches_kept_on_change(previous)
            for old in s.sla.targets.values():
                if old.name not in stays_breached:
                    self._keep_breach(old)
        targets = {}
        for target, minutes in (
            ("first_response", policy.first_response_minutes),
            ("resolution", policy.resolution_minutes),
        ):
            if minutes is None or (target == "first_response" and s.first_agent_reply_at is not None):
                continue
            breached = stays_breached.get(target)
            targets[target] = SlaTarget(
                name=target,
                target_minutes=minutes,
                remaining_minutes=0 if breached else max(minutes - consumed.get(target, 0), 0),
                breached_at=breached.breached_at if breached else None,
                warned=breached.warned if breached else False,
            )
        targets |= self._kept_on_change(previous, targets, policy, consumed)
        # A first policy a customer message's rules apply counts from the thread's first message, as
        # the KPIs' first response and resolution do; a changed one goes on from the time consumed.
        fresh = (s.sla.policy is None or replaced_unrun) and self._message_at is not None
        if fresh:
            self._sla_counted_for = self._message_in_hand
        s.sla = SlaState(
            policy=name, calendar=policy.calendar, targets=targets, earlier_breaches=s.sla.earlier_breaches
        )
        if s.status.value not in policy.pause_on:
            await self._start_clocks(list(targets), since=s.first_customer_message_at if fresh else None)

    def _replaced_in_its_own_handling(self) -> bool:
        """Whether the policy being replaced was applied from the received time of the message being
        handled (a second `apply_sla` of the same decision, or of an event it raised): the new one
        counts from that time too, as if it had been the first (SAME_HANDLING_POLICY_PATCH). It went
        on from the time the first had consumed: on a message received days before (a mailbox read
        after an outage), the clocks started over from now and a breach was lost (helper-114).
        Asked only then."""
        return (
            self._state.sla.policy is not None
            and self._message_in_hand is not None
            and self._sla_counted_for == self._message_in_hand
            and self._patched(SAME_HANDLING_POLICY_PATCH)
        )

    def _kept_on_change(
        self,
        previous: dict[str, SlaTarget],
        targets: dict[str, SlaTarget],
        policy: SlaPolicy,
        consumed: dict[str, float],
    ) -> dict[str, SlaTarget]:
        """What a changed policy keeps of the old one's clocks (POLICY_CHANGE_KEEPS_PATCH): a met
        target stays met, and a next response the customer waits for goes on under the new
        policy's minutes, less the time consumed. They were dropped: a rule that made an angry
        follow-up's SLA faster took its response clock away. Asked only when there is one."""
        met = {n: t for n, t in previous.items() if t.met_at is not None and n not in targets}
        waiting = previous.get("next_response")
        minutes = policy.next_response_minutes
        goes_on = waiting is not None and waiting.met_at is None and waiting.breached_at is None and minutes
        if not (met or goes_on) or not self._patched(POLICY_CHANGE_KEEPS_PATCH):
            return {}
        if goes_on and minutes:
            left = max(minutes - consumed.get("next_response", 0), 0)
            met["next_response"] = SlaTarget(
                name="next_response", target_minutes=minutes, remaining_minutes=left
            )
        return met

    def _breaches_kept_on_change(self, previous: dict[str, SlaTarget]) -> dict[str, SlaTarget]:
        """The breached first response and resolution a changed policy keeps breached
        (POLICY_CHANGE_KEEPS_BREACH_PATCH): their new clocks started over with the new policy's full
        minutes, so the thread was warned, breached and escalated a second time, and the timeline
        showed only the second breach. Asked only when there is one."""
        breached = {
            name: t
            for name, t in previous.items()
            if name in ("first_response", "resolution") and t.breached_at is not None and t.met_at is None
        }
        if not breached or not self._patched(POLICY_CHANGE_KEEPS_BREACH_PATCH):
            return {}
        return breached

    async def _start_next_response(self) -> None:
        policy = self._policy()
        if policy is None or not policy.next_response_minutes:
            return
        self._keep_breach(self._state.sla.targets.get("next_response"))
        self._state.sla.targets["next_response"] = SlaTarget(
            name="next_response",
            target_minutes=policy.next_response_minutes,
            remaining_minutes=policy.next_response_minutes,
        )
        if self._state.status.value not in policy.pause_on:
            await self._start_clocks(["next_response"], since=self._message_at)

    def _keep_breach(self, replaced: SlaTarget | None) -> None:
        """A breached target a new clock of its name replaces still counts: the thread breached."""
        if replaced is not None and replaced.breached_at is not None and self._patched(BREACHES_KEPT_PATCH):
            breach = EarlierBreach(target=replaced.name, breached_at=replaced.breached_at)
            self._state.sla.earlier_breaches.append(breach)

    async def _start_clocks(self, names: list[str], *, since: datetime | None = None) -> None:
        """Start clocks from now, or from `since`: when the channel received the customer message
        whose handling starts them (SLA_FROM_RECEIVED_PATCH), as the KPIs count the response times.
        A policy a rule applies on another event (a tag, an idle conversation) starts from now."""
        policy = self._policy()
        if policy is None:
            return
        now = workflow.now()
        start = now
        # A run without threads may hold a naive `received_at` (inbox.py `_received_at`): not compared.
        if (
            since is not None
            and since.tzinfo is not None
            and since < now
            and self._patched(SLA_FROM_RECEIVED_PATCH)
        ):
            start = since
        targets = [
            self._state.sla.targets[n]
            for n in names
            if n in self._state.sla.targets
            and self._state.sla.targets[n].met_at is None
            and self._state.sla.targets[n].breached_at is None
        ]
        queries, wants_warning = [], []
        for t in targets:
            queries.append(TimeQuery(op="deadline", start=start, minutes=t.remaining_minutes))
            warn_left = t.remaining_minutes - t.target_minutes * (1 - policy.warning_fraction)
            wants_warning.append(not t.warned and warn_left > 0)
            if wants_warning[-1]:
                queries.append(TimeQuery(op="deadline", start=start, minutes=warn_left))
        answers = iter(await self._deadlines(queries)) if queries else iter(())
        for t, warn in zip(targets, wants_warning, strict=True):
            t.deadline = next(answers)
            t.warning_at = next(answers) if warn else None
            t.running, t.started_at = True, start
        self._changed()

    async def _pause_sla(self, *, hold_escalations: bool = False) -> None:
        """Stop the running clocks, keeping the business minutes each has left; with
        `hold_escalations` (a status the policy pauses on) the levels to come wait too."""
        running = [t for t in self._state.sla.targets.values() if t.running and t.deadline is not None]
        held = self._escalations_to_hold() if hold_escalations else []
        if not running and not held:
            return
        now = workflow.now()
        answers = await self._business_time(
            [TimeQuery(op="elapsed", start=now, end=t.deadline) for t in running]
            + [TimeQuery(op="elapsed", start=now, end=e.due_at) for e in held]
        )
        for t, remaining in zip(running, answers[: len(running)], strict=True):
            t.remaining_minutes, t.running, t.deadline, t.warning_at = float(remaining), False, None, None
            t.paused_at = now
        for e, remaining in zip(held, answers[len(running) :], strict=True):
            e.due_at, e.remaining_minutes, e.paused_at = None, max(float(remaining), 0.0), now

    def _escalations_to_hold(self) -> list[PendingEscalation]:
        """The levels to come that a pause holds (ESCALATIONS_WAIT_PATCH): they ran on time while
        the conversation waited on its customer. Asked only when there is one."""
        coming = [e for e in self._state.sla.escalations if e.due_at is not None]
        if not coming or not self._patched(ESCALATIONS_WAIT_PATCH):
            return []
        return coming

    async def _resume_sla(self) -> None:
        paused = [t for t in self._state.sla.targets.values() if not t.running]
        since = self._woken_since()
        await self._start_clocks([t.name for t in paused], since=since)
        await self._release_escalations(since)

    def _woken_since(self) -> datetime | None:
        """When the customer's message that woke the conversation reached the channel, no earlier
        than the pause (WAKE_FROM_RECEIVED_PATCH): the clocks resumed at its handling, so a message
        a channel delivered minutes late (a mailbox polled) gave the team those minutes, which the
        KPIs' response times count. None (now) for a change no customer message made. Asked only
        when the two differ."""
        at, now = self._message_at, workflow.now()
        if at is None or at.tzinfo is None or at >= now:
            return None
        s = self._state.sla
        pauses = [t.paused_at for t in s.targets.values() if not t.running and t.paused_at is not None]
        pauses += [e.paused_at for e in s.escalations if e.due_at is None and e.paused_at is not None]
        since = max([at, *pauses])
        if since >= now or not self._patched(WAKE_FROM_RECEIVED_PATCH):
            return None
        return since

    async def _release_escalations(self, since: datetime | None = None) -> None:
        """The held levels come their business minutes left after `since` (else now); none held: no
        question."""
        held = [e for e in self._state.sla.escalations if e.due_at is None]
        if not held:
            return
        start = since or workflow.now()
        queries = [TimeQuery(op="deadline", start=start, minutes=e.remaining_minutes or 0.0) for e in held]
        for e, due in zip(held, await self._deadlines(queries), strict=True):
            e.due_at, e.remaining_minutes, e.paused_at = due, None, None

    def _meet_sla(self, *names: str) -> None:
        now = workflow.now()
        for name in names:
            t = self._state.sla.targets.get(name)
            if t is not None and t.met_at is None and t.breached_at is None:
                t.met_at, t.running, t.deadline, t.warning_at = now, False, None, None
        self._state.sla.escalations = [e for e in self._state.sla.escalations if e.target not in names]

    def _sla_views(self) -> list[SlaClockView]:
        return [
            SlaClockView(
                name=t.name,
                deadline=t.deadline if t.running else None,
                remaining_minutes=None if t.running else t.remaining_minutes,
                breached=t.breached_at is not None,
            )
            for t in self._state.sla.targets.values()
            if t.met_at is None
        ]
