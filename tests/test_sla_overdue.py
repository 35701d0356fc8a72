"""An SLA clock past its deadline breaches before the next event can stop it.

Only the main loop's timer recorded a breach, and an update takes the lock before the timer's
wake-up when both come in one workflow task (a worker that was busy or away while the deadline
passed; an agent's reply right after a message the channel held): the reply marked the first
response met and the KPIs counted it so, a pause kept it with nothing left, never breached.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.service import RPCError

from engine.service.config import Settings
from engine.service.worker import build_worker
from tests.api_client import trail
from tests.conftest import TEST_PACKS, publish, serve_api
from tests.polling import eventually
from tests.replay import replay_every_run


async def test_a_reply_that_comes_with_a_held_message_finds_its_clock_breached(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """The message, held by the channel past its 60-minute first response, and the agent's reply
    reach the workflow together (here: sent while no worker polled): the reply's handler took the
    lock first, handled the message (its clock started, already overdue) and marked it met."""
    publish(settings, TEST_PACKS / "timers")
    patient = settings.model_copy(update={"update_timeout_seconds": 30.0})
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=65)
    body = {
        "message_id": "m-1",
        "channel": "email",
        "sender": {"address": "ada@example.com"},
        "text": "where is my order (slow)",  # the 60-minute policy, counted from `received_at`
        "received_at": received.isoformat(),
    }
    reply = {"agent_id": "ana", "text": "On it", "message_id": "r-1"}
    workflow_id = f"conversation:{tenants['acme']}:held-reply"
    async with serve_api(client, patient, tenants) as api:
        posted = asyncio.create_task(api.request("POST", "/v1/conversations/held-reply/messages", json=body))

        async def started() -> bool:
            try:
                await client.get_workflow_handle(workflow_id).describe()
            except RPCError:
                return False
            return True

        await eventually(started, "the conversation started (its message waits for a worker)")
        replied = asyncio.create_task(api.request("POST", "/v1/conversations/held-reply/replies", json=reply))
        async with build_worker(client, patient):
            assert (await posted).status == 201 and (await replied).status == 200
            first = (await api.get("held-reply")).body["sla"]["targets"]["first_response"]
            events = [e["event"] for e in await trail(api, "held-reply")]
    deadline = received + timedelta(minutes=60)
    assert datetime.fromisoformat(first["breached_at"]) == deadline and first["met_at"] is None, first
    assert events.index("sla.breached") < events.index("message.sent"), events
    await replay_every_run(client, patient.task_queue)


async def test_a_policy_replaced_in_its_own_decision_counts_from_the_message_received_days_ago(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """Two rules of one decision applied two policies to a message received two days before (a
    mailbox read after an outage): the second went on from the time the first had "consumed", its
    first response restarted from now with its whole hour, and the breach was lost (helper-114)."""
    publish(settings, TEST_PACKS / "two_policies")
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    body = {
        "message_id": "m-1",
        "channel": "email",
        "sender": {"address": "ada@example.com"},
        "text": "Nachtschicht: the line is down",
        "received_at": received.isoformat(),
    }
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        posted = await api.request("POST", "/v1/conversations/night-1/messages?wait=decided", json=body)
        assert posted.status == 201, posted.body

        async def breached() -> bool:
            targets = (await api.get("night-1")).body["sla"]["targets"]
            return all(targets[t]["breached_at"] is not None for t in ("first_response", "resolution"))

        await eventually(breached, "both targets breached")
        sla = (await api.get("night-1")).body["sla"]
    assert sla["policy"] == "night"
    first, resolution = sla["targets"]["first_response"], sla["targets"]["resolution"]
    assert datetime.fromisoformat(first["breached_at"]) == received + timedelta(minutes=60), first
    assert datetime.fromisoformat(resolution["breached_at"]) == received + timedelta(minutes=600), resolution
    assert datetime.fromisoformat(first["started_at"]) == received
    assert await replay_every_run(client, settings.task_queue) >= 1
