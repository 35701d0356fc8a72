"""Timers aimed a little before their instant (workflows/conversation/timers.py EXACT_LEAD) never act
before it: a wake-up that comes early sleeps the rest, and the SLA breach is decided in a workflow
task that started at or after the deadline. Read from the real server's history: the breach's
decision is the `decide` marker whose recorded result is `sla.breached`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from bench.sla_timing import on_workflow_clock, write_pack
from engine.contracts.conversation import conversation_workflow_id
from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.conftest import publish
from tests.polling import eventually
from workflows.conversation import timers

LEAD = timedelta(seconds=2)
"""Far more than the default, so the exact sleeps wake well before their instant and must sleep again.
The margin is for a busy machine, whose timers fire late: at 500 ms, a CI run beside another fired
the deadline's exact sleep after the deadline, and the early path went untried."""
SLA_SECONDS = 12.0
"""With the warning at a quarter (3 s), the deadline's sleep wakes 4.5 s before it and its exact sleep
(longer than twice LEAD, so aimed LEAD early) wakes 2 s before it."""


def at(event: HistoryEvent) -> datetime:
    return on_workflow_clock(event.event_time)


async def decided_event(client: Client, event: HistoryEvent) -> str | None:
    """The rules' event a `decide` marker recorded (its result decoded with the codec), else None."""
    details = event.marker_recorded_event_attributes.details
    if "result" not in details or not details["result"].payloads:
        return None
    codec = client.data_converter.payload_codec
    assert codec is not None
    [result] = await codec.decode(list(details["result"].payloads))
    if result.metadata.get("encoding") != b"json/plain":
        return None  # an activity that answered nothing
    answer = json.loads(result.data)
    decision = answer.get("decision") if isinstance(answer, dict) else None
    return decision.get("event") if isinstance(decision, dict) else None


async def test_an_early_wake_sleeps_again_and_the_breach_waits_for_its_deadline(
    api: ApiClient,
    client: Client,
    settings: Settings,
    worker: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Undone before the `worker` fixture replays the run: the history recorded with this lead then
    # replays with the default one (Temporal does not compare timer durations).
    monkeypatch.setattr(timers, "EXACT_LEAD", LEAD)
    publish(settings, write_pack(tmp_path / "pack", SLA_SECONDS, warning_fraction=0.25))
    opened = await api.post_message("aim-1", "m-1", "help")
    assert opened.status == 201, opened.body

    async def breached() -> bool:
        return (await api.get("aim-1")).body["sla"]["targets"]["first_response"]["breached_at"] is not None

    await eventually(breached, what="the first-response breach", within=30)
    deadline = datetime.fromisoformat(
        (await api.get("aim-1")).body["sla"]["targets"]["first_response"]["deadline"]
    )

    handle = client.get_workflow_handle(conversation_workflow_id(api.tenants["acme"], "aim-1"))
    task_started: datetime | None = None
    early_wake: datetime | None = None  # a timer that fired before the deadline, within twice the lead
    slept_again = False  # a timer started after that early wake
    breach_task_started: datetime | None = None
    for event in (await handle.fetch_history()).events:
        if event.HasField("workflow_task_started_event_attributes"):
            task_started = at(event)
        elif event.HasField("timer_fired_event_attributes") and deadline - 2 * LEAD < at(event) < deadline:
            early_wake = early_wake or at(event)
        elif event.HasField("timer_started_event_attributes") and early_wake is not None:
            slept_again = True
        elif event.HasField("marker_recorded_event_attributes") and breach_task_started is None:
            if await decided_event(client, event) == "sla.breached":
                breach_task_started = task_started
                break
    assert early_wake is not None, "no timer fired shortly before the deadline: the early path went untried"
    assert slept_again, "the workflow did not sleep again after waking before the deadline"
    assert breach_task_started is not None, "no decision on sla.breached in the history"
    assert breach_task_started >= deadline, (
        "the breach was decided in a task that started before its deadline"
    )
