"""Deciding on an event: build the rule context, ask the pinned pack (a local activity, so the
decision is recorded in history and replay never re-evaluates), run the actions, follow the events
they raise one level deeper, up to the pack's `max_event_depth`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine.contracts.activities import Crm, RuleDecisions
    from engine.contracts.conversation import DecisionEntry, InboundMessage, Status
    from engine.contracts.crm import Customer, CustomerQuery
    from engine.contracts.decisions import LANGUAGE_CONFIDENCE, TRIAGED_EVENTS, DecideRequest
    from engine.contracts.phone_numbers import PHONE_CHANNELS, e164
    from engine.contracts.sla_state import SlaTarget
    from engine.kpis.facts import ASSIGNMENT_KINDS, HOLDER, event_view
    from workflows.conversation.actions import ActionExecutor
    from workflows.conversation.failures import ACTIVITY_FAILURES, cause, error_type, retryable
    from workflows.conversation.options import CRM_LOOKUP, DECIDING, LOCAL, LOCAL_CRM_LOOKUP
    from workflows.conversation.patches import (
        ASSIGNMENT_FACTS_PATCH,
        CRM_FALLBACK_PATCH,
        LAST_COMMA_FIRST_PATCH,
    )
    from workflows.conversation.patches_late import PHONE_WITHOUT_PLUS_PATCH
    from workflows.conversation.rule_context import build_context, first_name_of, first_word
    from workflows.conversation.status import Raised


def noted(note: str | None, more: str) -> str:
    """What deciding adds to an entry's note, after what the entry said of its event (a reply's send
    that went to the background or was refused): an auditor reads both."""
    return f"{note}; {more}" if note else more


class Deciding(ActionExecutor):
    """Events in, recorded decisions out; also enrichment at creation and a customer coming back."""

    async def _process(
        self,
        event: str,
        *,
        message: InboundMessage | None = None,
        extra: dict[str, Any] | None = None,
        depth: int = 0,
        seq: int | None = None,
        note: str | None = None,
        at: datetime | None = None,
        message_id: str | None = None,
    ) -> int:
        """Decide on one event and execute the decision; events raised by actions follow, one level deeper.

        `at` is when the event happened when that is not now: a timer's instant (timers.py).
        `message_id`: an agent reply's, so a repeat of the reply is answered with its seq.
        """
        seq = seq if seq is not None else self._next_event()
        entry = DecisionEntry(
            seq=seq,
            event=event,
            at=at or workflow.now(),
            depth=depth,
            note=note,
            message_id=message.message_id if message is not None else message_id,
            assignment=(extra or {}).get("assignment"),
        )
        if extra and extra.get("note") and note is None:
            entry.note = extra["note"]
        self._record(entry)
        s = self._state
        entry.kpi = event_view(event, extra or {}, status=s.status.value, automated=s.customer_is_automated)
        if extra and extra.get("timer"):
            entry.kpi["timer"] = True
        if event in ASSIGNMENT_KINDS and self._patched(ASSIGNMENT_FACTS_PATCH):
            entry.kpi[HOLDER] = s.assignee or ""
        # A customer message counts from when the channel received it (`received_at`), an agent's
        # reply from when it was posted (the delivery before `message.sent` takes time).
        when = s.last_customer_message_at if message is not None else None
        when = s.last_agent_reply_at if event == "message.sent" else when
        if when is not None and when != entry.at:
            entry.kpi["at"] = when.isoformat()
        if event == "message.sent" and self._replying_agent:
            entry.kpi["agent"] = self._replying_agent
        if self._pack is None:
            entry.note = noted(entry.note, "no rule pack pinned: nothing decided")
            return seq
        if depth > self._pack.settings.max_event_depth:
            cap = self._pack.settings.max_event_depth
            entry.note = noted(
                entry.note, f"loop cap: event raised at depth {depth} > max_event_depth {cap}; not evaluated"
            )
            return seq
        context = self._context(event, depth, message, extra or {}, at)
        request = DecideRequest(
            pack_hash=self._state.pack_hash or "",
            context=context,
            calendar=self._calendar_name(),
            sla=self._sla_views(),
            filled_only=self._filled_only(),
            triage=message is not None and event in TRIAGED_EVENTS and self._triage(),
        )
        if not self._threads():
            result = await workflow.execute_local_activity_method(RuleDecisions.decide, request, **LOCAL)
        else:
            try:
                result = await workflow.execute_local_activity_method(
                    RuleDecisions.decide, request, **DECIDING
                )
            except ACTIVITY_FAILURES as exc:
                entry.note = noted(entry.note, f"decision failed, nothing executed: {cause(exc)}")
                # Ops read this line; what the customer wrote stays in the trail, never in a log.
                # The run id, not the conversation id: an integrator may use a phone number as the id.
                workflow.logger.warning(
                    "decision failed: run %s event %s seq %d (%s); the conversation goes on taking events",
                    workflow.info().run_id,
                    event,
                    seq,
                    error_type(exc),
                )
                return seq
        entry.decision = result.decision
        if result.triage is not None:
            entry.triage = result.triage
            self._take_language(result.triage)
        raised: Raised = []
        if result.decision["actions"]:  # the context is rebuilt only when an action may read it
            seen = result.context_for(context)
            for i, decided in enumerate(result.decision["actions"]):
                entry.executed += await self._execute(seq, str(i), decided["action"], seen, raised)
        await self._follow(raised, depth=depth + 1)
        return seq

    def _take_language(self, triage: dict[str, Any]) -> None:
        """The conversation answers in the language its customer writes, unless told otherwise.

        A language the channel declared or the CRM prefers was set before any decision and stays; a
        detected one is taken when the detector is sure enough, and follows the customer when a
        later message is confidently in another of the pack's languages.
        """
        s = self._state
        language, confidence = triage.get("language"), triage.get("language_confidence") or 0.0
        if not language or confidence < LANGUAGE_CONFIDENCE:
            return
        if s.language is None or s.language_source == "detected":
            s.language, s.language_source = language, "detected"

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
        phone = address if address.startswith("+") else None
        number = e164(address) if s.channel.value in PHONE_CHANNELS and phone is None else None
        if number is not None and self._patched(PHONE_WITHOUT_PLUS_PATCH):
            phone = number
        query = CustomerQuery(tenant=s.tenant, email=address if "@" in address else None, phone=phone)
        try:
            if self._local_io():
                profile = await self._look_up_locally_first(query)
            else:
                self._publish_attributes()  # the task completes while a normal activity runs
                profile = await workflow.execute_activity_method(Crm.lookup_customer, query, **CRM_LOOKUP)
        except ACTIVITY_FAILURES as exc:
            s.enrichment = f"unavailable: {cause(exc)}"
            return f"CRM unavailable ({cause(exc)}): continued without enrichment"
        if profile is None:
            s.enrichment = "unknown customer"
            return None
        s.customer_profile = profile.model_dump(mode="json")
        s.enrichment = "found"
        s.language = s.language or profile.language
        return None

    async def _look_up_locally_first(self, query: CustomerQuery) -> Customer | None:
        """One short local attempt, then the normal activity's tries if the CRM failed or was slow.

        The local attempt holds the workflow task and with it the conversation's updates, so it is
        short (options.py LOCAL_NETWORK_ATTEMPT); the normal activity lets the task complete while it
        waits. A record the CRM will never give (too large) is not asked again.
        """
        try:
            return await workflow.execute_local_activity_method(
                Crm.lookup_customer, query, **LOCAL_CRM_LOOKUP
            )
        except ACTIVITY_FAILURES as exc:
            if not retryable(exc) or not self._patched(CRM_FALLBACK_PATCH):
                raise
        self._publish_attributes()  # the task completes while a normal activity runs
        return await workflow.execute_activity_method(Crm.lookup_customer, query, **CRM_LOOKUP)

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
                self._keep_breach(s.sla.targets.get("resolution"))
                s.sla.targets["resolution"] = SlaTarget(
                    name="resolution",
                    target_minutes=policy.resolution_minutes,
                    remaining_minutes=policy.resolution_minutes,
                )
                await self._start_clocks(["resolution"], since=self._message_at)
        elif s.status in (Status.PENDING, Status.ON_HOLD):
            await self._set_status(Status.OPEN.value, raised)
        await self._follow(raised, message=message)

    def _context(
        self,
        event: str,
        depth: int,
        message: InboundMessage | None,
        extra: dict[str, Any],
        at: datetime | None = None,
    ) -> dict[str, Any]:
        name, first = self._state.customer.name, None
        if (
            name
            and (named := first_name_of(name)) != first_word(name)
            and self._patched(LAST_COMMA_FIRST_PATCH)
        ):
            first = named
        return build_context(self._state, event, at or workflow.now(), depth, message, extra, first)
