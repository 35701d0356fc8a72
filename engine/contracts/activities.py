"""The activities as the conversation workflow sees them: name, input and result, no implementation.

The workflow refers to these definitions (`workflow.execute_activity_method(Crm.lookup_customer, ...)`)
so that a renamed or retyped activity fails at type-check time, and it never imports an adapter;
the classes in activities/ implement them under the same names (a test keeps the two in step).
The names are recorded in every history: never change one (add a new activity instead).
"""

from __future__ import annotations

from typing import Any

from temporalio import activity

from engine.contracts.assignment import (
    AgentRecord,
    AssignmentOutcome,
    DeskAsk,
    DeskLetter,
    PresenceExpiry,
    Roster,
)
from engine.contracts.crm import CrmWrite, Customer, CustomerQuery
from engine.contracts.decisions import DecideRequest, DecideResult, TimeRequest
from engine.contracts.events import EventBatch
from engine.contracts.kpi import KpiFactBatch
from engine.contracts.outbound import DeliveryResult, OutboundMessage
from engine.contracts.records import HandledRecords, RecordedCounts

LOAD_RULE_PACK = "load_rule_pack"
LOAD_WORKFLOW_PACK = "load_workflow_pack"
DECIDE = "decide"
BUSINESS_TIME = "business_time"
ACTIVE_RULE_PACK = "active_rule_pack"
LOOKUP_CUSTOMER = "lookup_customer"
CRM_WRITE = "crm_write"
DELIVER_MESSAGE = "deliver_message"
LOAD_ROSTER = "load_roster"
EXPIRE_PRESENCE = "expire_presence"
ASK_DESK = "ask_assignment_desk"
TELL_DESK = "tell_assignment_desk"
RECORD_KPI_FACTS = "record_kpi_facts"
RECORD_EVENTS = "record_conversation_events"
RECORD_HANDLED = "record_handled"


class RuleDecisions:
    """Local activities: the pinned pack, a decision, business-time math (activities/rule_decisions.py)."""

    @activity.defn(name=LOAD_RULE_PACK)
    async def load_rule_pack(self, pack_hash: str) -> dict[str, Any]:
        """The canonical pack published under `pack_hash` (recorded once per run)."""
        raise NotImplementedError

    @activity.defn(name=LOAD_WORKFLOW_PACK)
    async def load_workflow_pack(self, pack_hash: str) -> dict[str, Any]:
        """The part of that pack the workflow reads, `RulePack.workflow_part` (recorded once per run)."""
        raise NotImplementedError

    @activity.defn(name=DECIDE)
    async def decide(self, request: DecideRequest) -> DecideResult:
        """The decision record for one event, and the full context the rules saw."""
        raise NotImplementedError

    @activity.defn(name=BUSINESS_TIME)
    async def business_time(self, request: TimeRequest) -> list[str | float]:
        """Per query: a deadline (ISO instant) or elapsed business minutes on the pack's calendar."""
        raise NotImplementedError

    @activity.defn(name=ACTIVE_RULE_PACK)
    async def active_rule_pack(self, tenant: str) -> str | None:
        """The hash of the pack `tenant` has active now: what a new thread pins."""
        raise NotImplementedError


class Crm:
    """Customer lookup at creation and write-back (activities/crm.py)."""

    @activity.defn(name=LOOKUP_CUSTOMER)
    async def lookup_customer(self, query: CustomerQuery) -> Customer | None:
        """The customer's record, or None for an unknown customer; raises when the CRM is down."""
        raise NotImplementedError

    @activity.defn(name=CRM_WRITE)
    async def crm_write(self, change: CrmWrite) -> bool:
        """Write a field or a note once per idempotency key; False when nothing was written."""
        raise NotImplementedError


class Channels:
    """Outbound delivery through the conversation's channel (activities/channels.py)."""

    @activity.defn(name=DELIVER_MESSAGE)
    async def deliver_message(self, message: OutboundMessage) -> DeliveryResult:
        """Deliver once per idempotency key; raises when the channel refuses or is down."""
        raise NotImplementedError


class RosterReads:
    """The assignment desk's reads of the roster in the control-plane database (activities/roster.py)."""

    @activity.defn(name=LOAD_ROSTER)
    async def load_roster(self, tenant: str) -> Roster:
        """The tenant's agents as stored now, with the configured heartbeat timeout."""
        raise NotImplementedError

    @activity.defn(name=EXPIRE_PRESENCE)
    async def expire_presence(self, expiry: PresenceExpiry) -> AgentRecord | None:
        """Online and silent since the cutoff -> away; the agent as stored after (None: removed)."""
        raise NotImplementedError


class Desk:
    """A conversation's messages to its tenant's assignment desk workflow (activities/assignment_desk.py)."""

    @activity.defn(name=ASK_DESK)
    async def ask_desk(self, ask: DeskAsk) -> AssignmentOutcome:
        """The desk's answer to a request (an update, starting the desk if it is not running)."""
        raise NotImplementedError

    @activity.defn(name=TELL_DESK)
    async def tell_desk(self, letter: DeskLetter) -> None:
        """Signal the desk (a release or a status report), starting it if it is not running."""
        raise NotImplementedError


class KpiFacts:
    """The KPI projection (engine/kpis, docs/kpis.md): facts written once per (conversation, seq, part)."""

    @activity.defn(name=RECORD_KPI_FACTS)
    async def record_kpi_facts(self, batch: KpiFactBatch) -> int:
        """Insert the facts, ignoring those already stored; returns how many were new."""
        raise NotImplementedError


class ConversationEvents:
    """Integrators' event subscriptions (engine/contracts/events.py): each event numbered and queued
    once per subscription that wants it (activities/conversation_events.py)."""

    @activity.defn(name=RECORD_EVENTS)
    async def record_events(self, batch: EventBatch) -> int:
        """Queue the events for the tenant's subscriptions, once per (subscription, event id);
        returns how many deliveries were new."""
        raise NotImplementedError


class HandledRecordWrites:
    """A handled event's KPI facts and subscription events in one call (engine/contracts/records.py):
    what the two above do, one after the other (activities/handled_records.py)."""

    @activity.defn(name=RECORD_HANDLED)
    async def record_handled(self, records: HandledRecords) -> RecordedCounts:
        """Queue the events (raising when that fails), then insert the facts (answering the type of
        the failure when that fails)."""
        raise NotImplementedError
