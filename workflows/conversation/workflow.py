"""ConversationWorkflow: one durable workflow per customer conversation, every branch decided by rules.

Integrators send events as updates, so a caller learns synchronously whether its message was new or
a duplicate. Events are handled one at a time under a lock, in history order. For each event the
workflow builds the rule context, asks the pinned rule pack for a decision (a local activity: the
decision is recorded in history, so replay never re-evaluates), and executes the actions in order.
Every outbound effect is an activity whose idempotency key is `{workflow id}:{event seq}:{action}`.

Timers (SLA warning/breach/escalation, idle, reopen window, snooze, survey) are instants in state;
the main loop sleeps until the earliest one or until an event changes them. Deadlines are computed on
the policy's business-hours calendar by a local activity, so they too are recorded, not recomputed.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.conversation import (
        AUTOMATED_SENDER_PATTERN,
        CHANNEL_CAPABILITIES,
        AgentReply,
        Assignment,
        ConversationStart,
        ConversationState,
        DecisionEntry,
        EventReceipt,
        ExecutedAction,
        InboundMessage,
        PendingEscalation,
        SlaTarget,
        Status,
        StatusChange,
        SurveyAnswer,
    )
    from engine.contracts.crm import CrmWrite, Customer, CustomerQuery
    from engine.contracts.decisions import DecideRequest, DecideResult, TimeQuery
    from engine.contracts.outbound import OutboundMessage
    from engine.rules.actions import describe
    from engine.rules.pack import RulePack
    from engine.rules.templates import choose_text, render
    from workflows.conversation import search_attributes as sa
    from workflows.conversation.rule_context import build_context
    from workflows.conversation.sla import LOCAL_TIMEOUT, SlaClocks

DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)
DELIVERY_TIMEOUT = timedelta(seconds=30)
DELIVERY_GIVE_UP = timedelta(hours=1)  # a channel down longer than this: recorded as a failed delivery
MAX_RECORDED_DECISIONS = 500
AUTOMATED_SENDER = re.compile(AUTOMATED_SENDER_PATTERN, re.IGNORECASE)
TERMINAL = (Status.CLOSED,)

Raised = list[tuple[str, dict[str, Any]]]


@workflow.defn
class ConversationWorkflow(SlaClocks):
    @workflow.init
    def __init__(self, start: ConversationStart) -> None:
        if start.carried is not None:
            self._state = start.carried
            self._state.runs += 1
            self._state.run_started_seq = self._state.event_seq
        else:
            now = workflow.now()
            self._state = ConversationState(
                conversation_id=workflow.info().workflow_id,
                tenant=start.tenant,
                external_id=start.external_id,
                channel=start.channel,
                customer=start.customer,
                created_at=now,
                updated_at=now,
                pack_hash=start.pack_hash,
                follows_run_id=start.follows_run_id,
                max_events_per_run=start.max_events_per_run,
            )
        self._seen = set(self._state.seen_message_ids)
        self._lock = asyncio.Lock()
        self._pack: RulePack | None = None
        self._wake = False

    @workflow.run
    async def run(self, start: ConversationStart) -> ConversationState:
        async with self._lock:
            await self._ensure_pack()
        while self._state.status not in TERMINAL and not self._run_is_full():
            self._wake = False
            try:
                await workflow.wait_condition(
                    lambda: self._wake or self._state.status in TERMINAL or self._run_is_full(),
                    timeout=self._sleep_for(),
                )
            except TimeoutError:
                pass
            async with self._lock:
                await self._fire_due_timers()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._state.status not in TERMINAL:
            self._state.seen_message_ids = sorted(self._seen)
            workflow.continue_as_new(
                ConversationStart(
                    tenant=self._state.tenant,
                    external_id=self._state.external_id,
                    channel=self._state.channel,
                    customer=self._state.customer,
                    pack_hash=self._state.pack_hash,
                    max_events_per_run=self._state.max_events_per_run,
                    carried=self._state,
                )
            )
        return self._state

    # -- events from integrators -------------------------------------------------------------------

    @workflow.update
    async def receive_message(self, message: InboundMessage) -> EventReceipt:
        # Recorded before the first await, so a concurrent twin already sees it as a duplicate.
        if message.message_id in self._seen:
            return self._receipt(self._state.event_seq, duplicate=True)
        self._seen.add(message.message_id)
        async with self._lock:
            await self._ensure_pack()
            s = self._state
            at = message.received_at or workflow.now()
            first = s.customer_messages == 0
            s.customer_messages += 1
            s.first_customer_message_at = s.first_customer_message_at or at
            waiting_since_reply = s.last_agent_reply_at is not None and (
                s.last_customer_message_at is None or s.last_customer_message_at <= s.last_agent_reply_at
            )
            s.last_customer_message_at = at
            s.language = s.language or message.language
            if AUTOMATED_SENDER.match(message.sender.address) or (message.auto_submitted and first):
                s.customer_is_automated = True
            if message.subject and s.subject is None:
                s.subject = message.subject
            s.thread_message_ids = [*s.thread_message_ids, message.message_id][-10:]
            if first:
                note = await self._enrich()
                await self._process("conversation.created", message=message, note=note)
            else:
                await self._customer_came_back(message)
                if waiting_since_reply:
                    await self._start_next_response()
            seq = await self._process("message.received", message=message)
            self._changed()
            return self._receipt(seq, created=first and s.runs == 1)

    @receive_message.validator
    def _validate_receive_message(self, message: InboundMessage) -> None:
        self._reject_when_closed()

    @workflow.update
    async def post_reply(self, reply: AgentReply) -> EventReceipt:
        if reply.message_id is not None:
            if reply.message_id in self._seen:
                return self._receipt(self._state.event_seq, duplicate=True)
            self._seen.add(reply.message_id)
        async with self._lock:
            await self._ensure_pack()
            s = self._state
            now = workflow.now()
            seq = self._next_event()
            s.agent_messages += 1
            s.first_agent_reply_at = s.first_agent_reply_at or now
            s.last_agent_reply_at = now
            failure = await self._deliver(
                f"{seq}:0", kind="agent_reply", text=reply.text, to=s.customer.address
            )
            self._meet_sla("first_response", "next_response")
            await self._process("message.sent", seq=seq, note=failure)
            self._changed()
            return self._receipt(seq)

    @post_reply.validator
    def _validate_post_reply(self, reply: AgentReply) -> None:
        self._reject_when_closed()

    @workflow.update
    async def change_status(self, change: StatusChange) -> EventReceipt:
        async with self._lock:
            await self._ensure_pack()
            raised: Raised = []
            await self._set_status(change.status.value, raised)
            seq = await self._follow(raised) or self._state.event_seq
            self._changed()
            return self._receipt(seq)

    @change_status.validator
    def _validate_change_status(self, change: StatusChange) -> None:
        self._reject_when_closed()

    @workflow.update
    async def assign(self, assignment: Assignment) -> EventReceipt:
        async with self._lock:
            await self._ensure_pack()
            s = self._state
            if assignment.team:
                s.team = assignment.team
            if s.assignee == assignment.agent_id:
                return self._receipt(s.event_seq, duplicate=True)
            s.assignee = assignment.agent_id
            seq = await self._process("conversation.assigned")
            self._changed()
            return self._receipt(seq)

    @assign.validator
    def _validate_assign(self, assignment: Assignment) -> None:
        self._reject_when_closed()

    @workflow.update
    async def complete_survey(self, answer: SurveyAnswer) -> EventReceipt:
        async with self._lock:
            await self._ensure_pack()
            survey = self._state.survey
            survey.status, survey.rating = "completed", answer.rating
            seq = await self._process(
                "survey.completed", extra={"survey": {"rating": answer.rating, "comment": answer.comment}}
            )
            self._changed()
            return self._receipt(seq)

    @complete_survey.validator
    def _validate_complete_survey(self, answer: SurveyAnswer) -> None:
        if self._state.survey.status != "sent":
            raise ApplicationError(
                f"no survey is waiting for an answer (survey {self._state.survey.status})", type="NoSurvey"
            )

    @workflow.query
    def state(self) -> ConversationState:
        return self._state

    @workflow.query
    def decisions(self) -> list[DecisionEntry]:
        return self._state.decisions

    # -- deciding ----------------------------------------------------------------------------------

    async def _ensure_pack(self) -> None:
        if self._pack is None and self._state.pack_hash:
            raw = await workflow.execute_local_activity(
                "load_rule_pack",
                self._state.pack_hash,
                result_type=dict,
                start_to_close_timeout=LOCAL_TIMEOUT,
            )
            self._pack = RulePack.model_validate(raw)

    async def _process(
        self,
        event: str,
        *,
        message: InboundMessage | None = None,
        extra: dict[str, Any] | None = None,
        depth: int = 0,
        seq: int | None = None,
        note: str | None = None,
    ) -> int:
        """Decide on one event and execute the decision; events raised by actions follow, one level deeper."""
        seq = seq if seq is not None else self._next_event()
        entry = DecisionEntry(seq=seq, event=event, at=workflow.now(), depth=depth, note=note)
        self._record(entry)
        if self._pack is None:
            entry.note = "no rule pack pinned: nothing decided"
            return seq
        if depth > self._pack.settings.max_event_depth:
            entry.note = (
                f"loop cap: event raised at depth {depth} > max_event_depth "
                f"{self._pack.settings.max_event_depth}; not evaluated"
            )
            return seq
        result = await workflow.execute_local_activity(
            "decide",
            DecideRequest(
                pack_hash=self._state.pack_hash,
                context=self._context(event, depth, message, extra or {}),
                calendar=self._calendar_name(),
                sla=self._sla_views(),
            ),
            result_type=DecideResult,
            start_to_close_timeout=LOCAL_TIMEOUT,
        )
        entry.decision = result.decision
        raised: Raised = []
        for i, decided in enumerate(result.decision["actions"]):
            entry.executed += await self._execute(seq, str(i), decided["action"], result.context, raised)
        await self._follow(raised, depth=depth + 1)
        return seq

    async def _follow(
        self, raised: Raised, *, depth: int = 0, message: InboundMessage | None = None
    ) -> int | None:
        """Process the events that actions raised, in order; returns the last one's sequence number."""
        seq = None
        for event, extra in raised:
            seq = await self._process(event, message=message, extra=extra, depth=depth)
        return seq

    async def _enrich(self) -> str | None:
        """Look the customer up in the CRM; a CRM that is down costs the enrichment, not the conversation."""
        s = self._state
        address = s.customer.address
        query = CustomerQuery(
            tenant=s.tenant,
            email=address if "@" in address else None,
            phone=address if address.startswith("+") else None,
        )
        try:
            profile = await workflow.execute_activity(
                "lookup_customer",
                query,
                result_type=Customer | None,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=500), maximum_attempts=3),
            )
        except ActivityError as exc:
            s.enrichment = f"unavailable: {_cause(exc)}"
            return f"CRM unavailable ({_cause(exc)}): continued without enrichment"
        if profile is None:
            s.enrichment = "unknown customer"
            return None
        s.customer_profile = profile.model_dump(mode="json")
        s.enrichment = "found"
        s.language = s.language or profile.language
        return None

    def _context(
        self, event: str, depth: int, message: InboundMessage | None, extra: dict[str, Any]
    ) -> dict[str, Any]:
        return build_context(self._state, event, workflow.now(), depth, message, extra)

    def _calendar_name(self) -> str | None:
        pack = self._pack
        if pack is None:
            return None
        team = pack.teams.get(self._state.team or "")
        if team is not None and team.calendar:
            return team.calendar
        if self._state.sla.calendar:
            return self._state.sla.calendar
        return next(iter(pack.calendars), None)

    # -- actions -----------------------------------------------------------------------------------

    async def _execute(
        self, seq: int, index: str, action: dict[str, Any], context: dict[str, Any], raised: Raised
    ) -> list[ExecutedAction]:
        kind = action["type"]
        value = action.get("value")
        done = ExecutedAction(index=index, action=action)
        s = self._state
        key = f"{seq}:{index}"
        if kind == "reply":
            done.outcome, done.detail = await self._auto_reply(key, action, context)
        elif kind == "add_tags":
            s.tags += [t for t in value if t not in s.tags]
        elif kind == "remove_tags":
            s.tags = [t for t in s.tags if t not in value]
        elif kind == "set_priority":
            s.priority = value
        elif kind == "route":
            s.team = value
        elif kind == "assign":
            if action.get("strategy") == "agent" and action.get("agent"):
                if s.assignee != action["agent"]:
                    s.assignee = action["agent"]
                    raised.append(("conversation.assigned", {}))
            else:
                done.detail = f"no assignment service: team {s.team!r} recorded, agent left to the team"
        elif kind == "apply_sla":
            await self._apply_sla(value)
        elif kind == "escalate":
            return [done, *await self._escalate(seq, index, action["level"], context, raised)]
        elif kind == "notify":
            to = (
                action.get("email")
                or action.get("webhook")
                or (f"agent:{action['agent']}" if action.get("agent") else f"team:{action.get('team')}")
            )
            text = action.get("message") or ""
            if action.get("template"):
                text = self._template_text(action["template"], context) or text
            failure = await self._deliver(key, kind="notification", text=text, to=to)
            if failure:
                done.outcome, done.detail = "failed", failure
        elif kind in ("update_crm", "add_note"):
            if kind == "add_note":
                s.notes += 1
            done.outcome, done.detail = await self._crm_write(key, action)
        elif kind == "schedule_survey":
            delay = action.get("delay_minutes")
            if delay is None:
                delay = self._pack.settings.survey_delay_minutes or 0
            s.survey.due_at = workflow.now() + timedelta(minutes=delay)
            s.survey.status = "scheduled"
        elif kind == "snooze":
            s.timers.snooze_ends_at = workflow.now() + timedelta(minutes=action["minutes"])
            await self._set_status(Status.ON_HOLD.value, raised)
        elif kind in ("set_status", "close"):
            await self._set_status(value if kind == "set_status" else Status.CLOSED.value, raised)
        elif kind == "call_webhook":
            failure = await self._deliver(
                key, kind="webhook", text=str(action.get("payload", {})), to=action["url"]
            )
            if failure:
                done.outcome, done.detail = "failed", failure
        return [done]

    async def _crm_write(self, key: str, action: dict[str, Any]) -> tuple[str, str | None]:
        s = self._state
        if not s.customer_profile:
            return "skipped", f"no CRM record for this customer ({s.enrichment})"
        change = CrmWrite(
            tenant=s.tenant,
            customer_id=s.customer_profile["id"],
            idempotency_key=f"{s.conversation_id}:{key}",
            field=action.get("field"),
            value=action.get("value"),
            note=action.get("text"),
        )
        try:
            await workflow.execute_activity(
                "crm_write",
                change,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=DELIVERY_RETRY,
                schedule_to_close_timeout=DELIVERY_GIVE_UP,
            )
        except ActivityError as exc:
            return "failed", f"CRM write failed: {_cause(exc)}"
        return "done", None

    async def _auto_reply(self, key: str, action: dict[str, Any], context: dict[str, Any]) -> tuple[str, str]:
        s = self._state
        now = workflow.now()
        if action.get("auto", True):
            if s.customer_is_automated or context.get("message", {}).get("auto_submitted"):
                return "skipped", "automated sender: no auto-reply (RFC 3834)"
            window = timedelta(minutes=self._pack.settings.acknowledgement_window_minutes)
            if s.last_auto_reply_at is not None and now - s.last_auto_reply_at < window:
                return "skipped", "an automatic reply was sent within the acknowledgement window"
        lang, text = self._template(action["template"], context)
        template_only = self._outside_free_form_window()
        failure = await self._deliver(
            key,
            kind="auto_reply",
            text=text,
            to=s.customer.address,
            template=action["template"],
            language=lang,
            template_only=template_only,
        )
        if failure:
            return "failed", failure
        if action.get("auto", True):
            s.last_auto_reply_at = now
        return "done", f"template {action['template']} ({lang})"

    def _template(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        lang, text = choose_text(
            self._pack.templates[name],
            [self._state.language, context.get("customer", {}).get("language")],
            self._pack.meta.language,
        )
        return lang, render(text, context)

    def _template_text(self, name: str, context: dict[str, Any]) -> str | None:
        return self._template(name, context)[1] if name in self._pack.templates else None

    def _outside_free_form_window(self) -> bool:
        hours = CHANNEL_CAPABILITIES[self._state.channel.value].free_form_window_hours
        last = self._state.last_customer_message_at
        return hours is not None and last is not None and workflow.now() - last > timedelta(hours=hours)

    async def _deliver(
        self,
        key: str,
        *,
        kind: str,
        text: str,
        to: str,
        template: str | None = None,
        language: str | None = None,
        template_only: bool = False,
    ) -> str | None:
        """Send through the channel: None when delivered, else why it failed for good (recorded)."""
        s = self._state
        limit = CHANNEL_CAPABILITIES[s.channel.value].max_length
        if limit is not None and len(text) > limit and kind in ("auto_reply", "agent_reply", "survey"):
            text = text[: limit - 1] + "…"  # the channel would refuse it whole
        replying = s.channel.value == "email" and bool(s.thread_message_ids)
        message = OutboundMessage(
            idempotency_key=f"{s.conversation_id}:{key}",
            conversation_id=s.conversation_id,
            tenant=s.tenant,
            channel=s.channel.value,
            to=to,
            kind=kind,
            text=text,
            template=template,
            language=language,
            template_only=template_only,
            subject=s.subject,
            in_reply_to=s.thread_message_ids[-1] if replying else None,
            references=s.thread_message_ids[:-1] if replying else [],
        )
        try:
            await workflow.execute_activity(
                "deliver_message",
                message,
                start_to_close_timeout=DELIVERY_TIMEOUT,
                retry_policy=DELIVERY_RETRY,
                schedule_to_close_timeout=DELIVERY_GIVE_UP,
            )
        except ActivityError as exc:
            return f"delivery failed: {_cause(exc)}"
        return None

    # -- status ------------------------------------------------------------------------------------

    async def _set_status(self, new: str, raised: Raised) -> None:
        s = self._state
        previous = s.status.value
        if new == previous:
            return
        s.status = Status(new)
        now = workflow.now()
        settings = self._pack.settings if self._pack else None
        pause_on = self._policy().pause_on if self._policy() else []
        if new in pause_on and previous not in pause_on:
            await self._pause_sla()
        elif previous in pause_on and new not in pause_on and new not in ("solved", "closed"):
            await self._resume_sla()
        if new in ("solved", "closed"):
            self._meet_sla("first_response", "next_response", "resolution")
        if new == "closed" and s.survey.status in ("scheduled", "sent"):
            # A closed conversation's workflow ends: a survey still waiting can no longer be answered.
            s.survey.status = "skipped" if s.survey.status == "scheduled" else "expired"
        s.timers.idle_at = s.timers.auto_close_at = None
        if new == "pending" and settings is not None:
            if settings.idle_reminder_minutes:
                s.timers.idle_at = now + timedelta(minutes=settings.idle_reminder_minutes)
            if settings.auto_close_idle_minutes:
                s.timers.auto_close_at = now + timedelta(minutes=settings.auto_close_idle_minutes)
        s.timers.reopen_window_ends_at = None
        if new == "solved" and settings is not None and settings.reopen_window_minutes is not None:
            s.timers.reopen_window_ends_at = now + timedelta(minutes=settings.reopen_window_minutes)
        if new != "on_hold":
            s.timers.snooze_ends_at = None
        raised.append(("status.changed", {"event": {"previous_status": previous}}))

    async def _customer_came_back(self, message: InboundMessage) -> None:
        """A customer message wakes a pending conversation and reopens a solved one."""
        s = self._state
        raised: Raised = []
        if s.status is Status.SOLVED:
            s.reopened += 1
            if s.survey.status == "scheduled":
                s.survey.status = "skipped"
            await self._set_status(Status.OPEN.value, raised)
            raised.append(("conversation.reopened", {}))
            if self._pack and (policy := self._policy()) and policy.resolution_minutes:
                s.sla.targets["resolution"] = SlaTarget(
                    name="resolution",
                    target_minutes=policy.resolution_minutes,
                    remaining_minutes=policy.resolution_minutes,
                )
                await self._start_clocks(["resolution"])
        elif s.status in (Status.PENDING, Status.ON_HOLD):
            await self._set_status(Status.OPEN.value, raised)
        await self._follow(raised, message=message)

    # -- escalation -------------------------------------------------------------------------------

    async def _escalate(
        self, seq: int, index: str, level: int, context: dict[str, Any], raised: Raised
    ) -> list[ExecutedAction]:
        """Run the policy's escalation level and schedule the next one after the breach."""
        s = self._state
        policy = self._policy()
        s.escalation_level = max(s.escalation_level, level)
        if policy is None:
            return []
        done: list[ExecutedAction] = []
        levels = {e.level: e for e in policy.escalations}
        if level in levels:
            for j, nested in enumerate(levels[level].then):
                done += await self._execute(seq, f"{index}.{j}", describe(nested), context, raised)
        breached = [t for t in s.sla.targets.values() if t.breached_at is not None and t.met_at is None]
        later = sorted(lvl for lvl in levels if lvl > level)
        if breached and later:
            nxt = levels[later[0]]
            target = breached[0]
            due = (
                await self._business_time(
                    [TimeQuery(op="deadline", start=target.breached_at, minutes=nxt.after_breach_minutes)]
                )
            )[0]
            s.sla.escalations = [e for e in s.sla.escalations if e.level != nxt.level]
            s.sla.escalations.append(
                PendingEscalation(level=nxt.level, target=target.name, due_at=datetime.fromisoformat(due))
            )
        return done

    # -- timers ------------------------------------------------------------------------------------

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
        instants += [e.due_at for e in s.sla.escalations]
        if s.survey.status == "scheduled" and s.survey.due_at is not None:
            instants.append(s.survey.due_at)
        if s.survey.status == "sent" and s.survey.expires_at is not None:
            instants.append(s.survey.expires_at)
        return instants

    def _sleep_for(self) -> timedelta | None:
        instants = self._due_instants()
        if not instants:
            return None
        return max(min(instants) - workflow.now(), timedelta(0))

    async def _fire_due_timers(self) -> None:
        s = self._state
        now = workflow.now()
        events_before = s.event_seq
        for t in list(s.sla.targets.values()):
            if t.running and t.warning_at is not None and not t.warned and t.warning_at <= now:
                t.warned = True
                await self._process("sla.warning", extra={"event": {"sla_target": t.name}})
            if t.running and t.deadline is not None and t.deadline <= now:
                t.breached_at, t.running = t.deadline, False
                await self._process("sla.breached", extra={"event": {"sla_target": t.name}})
        for esc in [e for e in s.sla.escalations if e.due_at <= now]:
            s.sla.escalations.remove(esc)
            seq = self._next_event()
            entry = DecisionEntry(
                seq=seq,
                event="sla.escalation",
                at=now,
                note=f"escalation level {esc.level} of the SLA policy ({esc.target} breached)",
            )
            self._record(entry)
            raised: Raised = []
            entry.executed += await self._escalate(
                seq, "0", esc.level, self._context("sla.breached", 0, None, {}), raised
            )
            await self._follow(raised, depth=1)
        timers = s.timers
        if timers.idle_at is not None and timers.idle_at <= now:
            timers.idle_at = None
            await self._process("conversation.idle")
        for attr, status, why in (
            ("auto_close_at", Status.CLOSED, "closed: no customer reply while pending"),
            ("reopen_window_ends_at", Status.CLOSED, "closed: the reopen window after solving is over"),
            ("snooze_ends_at", Status.OPEN, "reopened: snooze ended"),
        ):
            due = getattr(timers, attr)
            if due is not None and due <= now and s.status not in TERMINAL:
                setattr(timers, attr, None)
                await self._system_status(status, why)
        survey = s.survey
        if survey.status == "scheduled" and survey.due_at is not None and survey.due_at <= now:
            await self._send_survey()
        if survey.status == "sent" and survey.expires_at is not None and survey.expires_at <= now:
            survey.status = "expired"
        if s.event_seq != events_before:  # handlers upsert their own changes; only timers' are new here
            self._upsert_search_attributes()

    async def _system_status(self, status: Status, why: str) -> None:
        seq = self._next_event()
        self._record(DecisionEntry(seq=seq, event="timer", at=workflow.now(), note=why))
        raised: Raised = []
        await self._set_status(status.value, raised)
        await self._follow(raised)

    async def _send_survey(self) -> None:
        s = self._state
        seq = self._next_event()
        entry = DecisionEntry(seq=seq, event="survey.due", at=workflow.now())
        self._record(entry)
        if s.status not in (Status.SOLVED, Status.CLOSED) or "survey" not in self._pack.templates:
            s.survey.status = "skipped"
            entry.note = "survey skipped: " + (
                "the conversation was reopened"
                if "survey" in self._pack.templates
                else "no `survey` template"
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
        if failure:
            s.survey.status, entry.note = "failed", f"survey not sent: {failure}"
            return
        s.survey.status, s.survey.sent_at = "sent", workflow.now()
        expiry = self._pack.settings.survey_expiry_minutes
        s.survey.expires_at = workflow.now() + timedelta(minutes=expiry) if expiry else None
        entry.note = "survey sent" + (
            " as a template message (outside the channel's free-form window)" if template_only else ""
        )

    # -- bookkeeping -------------------------------------------------------------------------------

    def _run_is_full(self) -> bool:
        """Time to continue as new: the server says so, or this run has handled its share of events."""
        s = self._state
        return (
            workflow.info().is_continue_as_new_suggested()
            or s.event_seq - s.run_started_seq >= s.max_events_per_run
        )

    def _next_event(self) -> int:
        self._state.event_seq += 1
        self._state.updated_at = workflow.now()
        return self._state.event_seq

    def _record(self, entry: DecisionEntry) -> None:
        self._state.decisions.append(entry)
        del self._state.decisions[:-MAX_RECORDED_DECISIONS]

    def _changed(self) -> None:
        self._wake = True
        self._upsert_search_attributes()

    def _receipt(self, seq: int, *, duplicate: bool = False, created: bool = False) -> EventReceipt:
        return EventReceipt(
            conversation_id=self._state.conversation_id,
            seq=seq,
            duplicate=duplicate,
            created=created,
            status=self._state.status,
        )

    def _reject_when_closed(self) -> None:
        if self._state.status is Status.CLOSED:
            raise ApplicationError("conversation is closed", type="ConversationClosed")

    def _upsert_search_attributes(self) -> None:
        s = self._state
        updates = [
            sa.TENANT.value_set(s.tenant),
            sa.STATUS.value_set(s.status.value),
            sa.CHANNEL.value_set(s.channel.value),
            sa.PRIORITY.value_set(s.priority),
            sa.TAGS.value_set(list(s.tags)),
            sa.SLA_BREACHED.value_set(s.sla.breached),
            sa.CREATED_AT.value_set(s.created_at),
            sa.LAST_ACTIVITY_AT.value_set(s.updated_at),
        ]
        for key, value in ((sa.TEAM, s.team), (sa.ASSIGNEE, s.assignee), (sa.LANGUAGE, s.language)):
            updates.append(key.value_set(value) if value else key.value_unset())
        if s.first_agent_reply_at is not None:
            updates.append(sa.FIRST_AGENT_REPLY_AT.value_set(s.first_agent_reply_at))
            updates.append(
                sa.FIRST_RESPONSE_SECONDS.value_set(
                    int((s.first_agent_reply_at - s.created_at).total_seconds())
                )
            )
        if s.survey.rating is not None:
            updates.append(sa.CSAT.value_set(s.survey.rating))
        workflow.upsert_search_attributes(updates)


def _cause(error: ActivityError) -> str:
    cause = error.cause
    while isinstance(cause, ActivityError | ApplicationError) and cause.cause is not None:
        cause = cause.cause
    return str(cause or error)
