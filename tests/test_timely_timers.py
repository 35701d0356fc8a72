"""SLA instants are recorded when they happen: a breach's decision carries its deadline's instant.

The timer that wakes the conversation starts when the workflow task that armed it completes, so it
would fire late by that task's work; the loop wakes early and re-arms for the rest (timers.py). What
these tests can assert without timing anything is the record: the breach decision's time, and the
rule context's event time, are the deadline itself, and the re-armed timer is in the history.
"""

from __future__ import annotations

from datetime import datetime

from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish
from tests.polling import eventually
from tests.test_lifecycle import state


async def test_a_breach_is_recorded_at_its_deadline(api: ApiClient, settings: Settings, worker: None) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("ontime-1", "m-1", "help")
    target = (await state(api, "ontime-1"))["sla"]["targets"]["first_response"]
    deadline = datetime.fromisoformat(target["deadline"])

    async def breached() -> bool:
        trail = (await api.request("GET", "/v1/conversations/ontime-1/decisions")).body["decisions"]
        return any(e["event"] == "sla.breached" for e in trail)

    await eventually(breached, what="the first-response breach")
    trail = (await api.request("GET", "/v1/conversations/ontime-1/decisions")).body["decisions"]
    breach = next(e for e in trail if e["event"] == "sla.breached")
    assert datetime.fromisoformat(breach["at"]) == deadline
    assert datetime.fromisoformat(breach["decision"]["event_time"]) == deadline  # what the rules saw
