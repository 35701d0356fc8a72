"""A test case's (or a recorded event's) context, filled in as the worker fills a live one.

A case gives what it cares about; the rest is what the rules would read live. The event's time
defaults to a Monday morning. `business_hours` is computed from the pack's calendar at that time,
the one the worker reads (RulePack.business_hours_calendar: the team's, else the SLA policy's, ...),
unless the case sets it: the context's default read "open" at any hour, so a case on a Saturday
night matched a rule for open hours that live would not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.calendar import shared_calendar
from engine.rules.pack import RulePack

DEFAULT_EVENT_TIME = "2026-01-05T10:00:00+00:00"  # a Monday morning, for tests that do not care


def case_context(event: str, context: dict[str, Any], pack: RulePack | None = None) -> dict[str, Any]:
    """`context` with its event filled in and, given the pack, its business hours at the event's time."""
    given_event = context.get("event") or {}
    filled = {**context, "event": {"time": DEFAULT_EVENT_TIME, **given_event, "type": event}}
    if pack is not None and "business_hours" not in context:
        hours = _business_hours(pack, filled)
        if hours is not None:
            filled["business_hours"] = hours
    return filled


def _business_hours(pack: RulePack, context: dict[str, Any]) -> dict[str, Any] | None:
    team = (context.get("conversation") or {}).get("team")
    policy = pack.sla_policies.get(str((context.get("sla") or {}).get("policy")))
    name = pack.business_hours_calendar(
        team if isinstance(team, str) else None, policy.calendar if policy is not None else None
    )
    if name is None or name not in pack.calendars:
        return None
    try:
        at = datetime.fromisoformat(str(context["event"]["time"]))
        calendar = shared_calendar(pack.calendars[name])
    except ValueError:  # a malformed time or calendar: the validator names it; the default stays
        return None
    if at.tzinfo is None:
        return None
    return {"open": calendar.is_open(at), "next_open": calendar.next_open(at).isoformat()}
