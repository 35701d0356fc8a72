"""A test case's (or a recorded event's) context, filled in as the worker fills a live one.

A case gives what it cares about; the rest is what the rules would read live. The event's time
defaults to a Monday, 10:00 in the zone of the calendar the worker would read
(RulePack.business_hours_calendar: the team's, else the SLA policy's, ...), and `business_hours`
is computed from that calendar at the event's time unless the case sets it: the context's default
read "open" at any hour, so a case on a Saturday night matched a rule for open hours that live
would not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.calendar import BusinessCalendar, shared_calendar
from engine.rules.pack import RulePack

DEFAULT_EVENT_TIME = "2026-01-05T10:00:00+00:00"  # a Monday morning, for tests that do not care


def case_context(event: str, context: dict[str, Any], pack: RulePack | None = None) -> dict[str, Any]:
    """`context` with its event filled in and, given the pack, its business hours at the event's time
    (a Monday 10:00 in the calendar's own zone when the case gives no time: 10:00 UTC is 05:00 in
    New York, before a New York team opens)."""
    given_event = context.get("event") or {}
    calendar = _calendar_of(pack, context) if pack is not None else None
    default = DEFAULT_EVENT_TIME
    if calendar is not None:
        default = datetime.fromisoformat(DEFAULT_EVENT_TIME).replace(tzinfo=calendar.zone).isoformat()
    filled = {**context, "event": {"time": default, **given_event, "type": event}}
    if calendar is not None and "business_hours" not in context:
        try:
            at = datetime.fromisoformat(str(filled["event"]["time"]))
        except ValueError:  # the validator names a malformed time; the default hours stay
            return filled
        if at.tzinfo is not None:
            filled["business_hours"] = {
                "open": calendar.is_open(at),
                "next_open": calendar.next_open(at).isoformat(),
            }
    return filled


def _calendar_of(pack: RulePack, context: dict[str, Any]) -> BusinessCalendar | None:
    """The calendar the worker reads business hours from for this context, if the pack has it."""
    team = (context.get("conversation") or {}).get("team")
    applied = (context.get("sla") or {}).get("policy")
    policy = pack.sla_policies.get(applied) if isinstance(applied, str) else None
    name = pack.business_hours_calendar(
        team if isinstance(team, str) else None, policy.calendar if policy is not None else None
    )
    if name is None or name not in pack.calendars:
        return None
    try:
        return shared_calendar(pack.calendars[name])
    except ValueError:  # a malformed calendar: the validator names it
        return None
