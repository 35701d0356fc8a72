"""From one decision-trail entry to its KPI facts: one pure function the workflow and the rebuild share.

The workflow fills `DecisionEntry.kpi` (the event's view: `event_view` while it handles the event,
`state_view` once the handler is done) and sends `facts_of(entry)` to the projection; `convoflow kpi
rebuild` calls the same `facts_of` on the entries of the recorded trail, so both write the same rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.contracts.compact_json import plain
from engine.contracts.conversation import ConversationState, DecisionEntry
from engine.contracts.kpi import KpiFact

# Fact kinds (docs/kpis.md "Events").
CREATED = "created"
CUSTOMER_MESSAGE = "customer_message"
AGENT_REPLY = "agent_reply"
AUTO_REPLY = "auto_reply"
NOTIFICATION = "notification"
STATUS = "status"
REOPENED = "reopened"
SLA_APPLIED = "sla_applied"
SLA_BREACHED = "sla_breached"
SURVEY_SENT = "survey_sent"
SURVEY_FAILED = "survey_failed"
SURVEY_COMPLETED = "survey_completed"
ASSIGNED = "assigned"
UNASSIGNED = "unassigned"

# Trail events that are one fact each, and the fact's kind.
EVENT_KINDS = {
    "conversation.created": CREATED,
    "message.received": CUSTOMER_MESSAGE,
    "message.sent": AGENT_REPLY,
    "status.changed": STATUS,
    "conversation.reopened": REOPENED,
    "sla.breached": SLA_BREACHED,
    "survey.completed": SURVEY_COMPLETED,
}
# Assignments are facts of runs whose workflow marks them (`HOLDER` in the event's view): a thread's
# agent was whoever held it at its last message or reply, so a reassignment (an unanswered timeout,
# an agent away, a manual move) regrouped nothing until the customer wrote again, and an unassigned
# thread stayed its former agent's backlog. Trails recorded before carry no mark and make no fact.
ASSIGNMENT_KINDS = {"conversation.assigned": ASSIGNED, "conversation.unassigned": UNASSIGNED}
HOLDER = "holder"
"""The view's key for who holds the thread after the assignment event ("" for nobody)."""
# What every fact of an event carries from the view (the rest belongs to one kind).
COMMON = ("channel", "team", "assignee", "priority", "pack", "calendar", "sla")


def event_view(event: str, extra: dict[str, Any], *, status: str, automated: bool) -> dict[str, Any]:
    """The parts of the view only the event knows: a status change, an SLA target, a rating, the sender."""
    view: dict[str, Any] = {}
    inner = extra.get("event") or {}
    if event == "status.changed" and "previous_status" in inner:
        view["from"], view["to"] = inner["previous_status"], status
    if event.startswith("sla.") and inner.get("sla_target"):
        view["target"] = inner["sla_target"]
    survey = extra.get("survey") or {}
    if event == "survey.completed" and survey.get("rating") is not None:
        view["rating"] = survey["rating"]
    if event == "message.bounced" and inner.get("bounce_status") is not None:
        view["bounce"] = inner["bounce_status"]  # an RFC 3463 code (5.1.1), never the diagnostic text
    if event in ("conversation.created", "message.received"):
        view["sender"] = "automated" if automated else "customer"
    if event in ("status.changed", "conversation.assigned", "conversation.unassigned") and extra.get("actor"):
        view["actor"] = extra["actor"]  # who did it through the API, as its caller named them
    return view


def state_view(state: ConversationState, calendar: str | None) -> dict[str, Any]:
    """What a handled event's facts are grouped by: the conversation as the handler left it."""
    view: dict[str, Any] = {
        "life": state.life_id or "",
        "channel": state.channel.value,
        "team": state.team,
        "assignee": state.assignee,
        "priority": state.priority,
        "pack": state.pack_hash,
        "calendar": calendar,
        "sla": {name: t.target_minutes for name, t in sorted(state.sla.targets.items())},
    }
    return {k: v for k, v in view.items() if v is not None and v != {}}


def facts_of(entry: DecisionEntry, *, tenant: str, conversation_id: str) -> list[KpiFact]:
    """The facts one trail entry stands for (none for an entry without a view: before KPIs existed)."""
    if entry.kpi is None:
        return []
    view = plain(entry.kpi)
    common = {k: view[k] for k in COMMON if view.get(k) is not None}
    made: list[tuple[str, datetime, dict[str, Any]]] = []
    kind = EVENT_KINDS.get(entry.event)
    at = datetime.fromisoformat(view["at"]) if view.get("at") else entry.at
    # A channel's `received_at` ahead of the workflow's clock (the API allows a day of skew) made a
    # thread begin after its reply: negative response times dragged a day's mean below zero. The SLA
    # clocks count such a message from its handling, and so do the facts.
    at = min(at, entry.at)
    if kind is not None and (kind != STATUS or "to" in view):
        own: dict[str, Any] = {
            k: view[k] for k in ("from", "to", "target", "rating", "sender", "agent") if k in view
        }
        made.append((kind, at, own))
    if entry.event in ASSIGNMENT_KINDS and HOLDER in view:
        made.append((ASSIGNMENT_KINDS[entry.event], at, {HOLDER: view[HOLDER]}))
    if entry.event == "survey.due" and (entry.note or "").startswith("survey sent"):
        made.append((SURVEY_SENT, entry.at, {}))
    if entry.event == "message.delivery_failed" and view.get("send") == "survey":
        made.append((SURVEY_FAILED, entry.at, {}))  # its send went on in the background and failed there
    for done in entry.executed:
        if done.outcome != "done":
            continue
        action = done.action.get("type")
        if action == "reply":
            made.append((AUTO_REPLY, entry.at, {"sender": "bot"}))
        elif action == "notify":
            made.append((NOTIFICATION, entry.at, {"sender": "system"}))
        elif action == "apply_sla":
            made.append((SLA_APPLIED, entry.at, {}))
    return [
        KpiFact(
            tenant=tenant,
            conversation_id=conversation_id,
            life_id=view.get("life", ""),
            thread=entry.thread,
            seq=entry.seq,
            part=part,
            kind=kind_,
            at=when,
            data={**common, **own},
        )
        for part, (kind_, when, own) in enumerate(made)
    ]
