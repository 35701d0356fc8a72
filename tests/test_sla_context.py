"""The SLA minutes a rule reads are business minutes of the SLA policy's own calendar.

A follow-the-sun desk: a Berlin policy (60 minutes to answer) on a conversation routed to a New York
team. `business_hours` reads the team's calendar; the SLA's minutes left were counted on it too, so
at 10:00 in Berlin (04:00 in New York, closed) the rule read 0 minutes left of an untouched hour and
"remaining < 15: make it urgent" fired. A breached target read its whole target as left. Through the
real decide activity, on a pack stored in the real database.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

from activities.rule_decisions import PackRegistry, RuleActivities
from engine.contracts.decisions import DecideRequest, SlaClockView
from engine.db.packs import PackStore
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.pack_files import load_valid

PACK = """\
meta: {name: follow-the-sun, language: en}
calendars:
  berlin: {timezone: Europe/Berlin, hours: {mon: [["09:00", "17:00"]]}}
  ny: {timezone: America/New_York, hours: {mon: [["09:00", "17:00"]]}}
sla_policies:
  office: {calendar: berlin, first_response_minutes: 60, resolution_minutes: 480}
teams:
  nyteam: {calendar: ny}
rules:
  - id: hurry
    on: [message.received]
    if: {"<": [{"var": "sla.first_response_remaining_minutes"}, 15]}
    then: [{set_priority: urgent}]
"""
MONDAY_10_BERLIN = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 04:00 in New York: closed


async def test_sla_minutes_count_on_the_policy_s_calendar_and_a_breach_leaves_none(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "pack.yaml").write_text(textwrap.dedent(PACK))
    database = database_of(settings)
    try:
        store = PackStore(database)
        digest = await store.publish("acme", load_valid(tmp_path), published_by="test", source=None)
        request = DecideRequest(
            pack_hash=digest,
            context={
                "event": {"type": "message.received", "time": MONDAY_10_BERLIN.isoformat()},
                "conversation": {"id": "c-1", "team": "nyteam", "created_at": "2026-12-07T08:30:00+00:00"},
                "message": {"text": "Hello?"},
                "sla": {"policy": "office"},
            },
            calendar="ny",  # what business_hours reads: the team's
            sla=[
                SlaClockView(name="first_response", deadline=datetime(2026, 12, 7, 10, 0, tzinfo=UTC)),
                SlaClockView(name="resolution", remaining_minutes=480, breached=True),
            ],
        )
        result = await RuleActivities(PackRegistry(store)).decide(request)
    finally:
        await database.dispose()
    seen = result.context
    assert seen["business_hours"]["open"] is False  # New York's
    assert seen["sla"]["first_response_remaining_minutes"] == 60.0  # Berlin's hour, untouched
    assert seen["sla"]["resolution_remaining_minutes"] == 0.0
    assert seen["conversation"]["business_minutes_open"] == 30.0  # since 09:30 in Berlin
    assert result.decision["actions"] == []  # "hurry" does not fire on a full hour
