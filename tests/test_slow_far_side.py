"""A CRM or a channel slow to answer one call holds no conversation (issue 15).

The customer lookup and a delivery's first attempt run as local activities (options.py), and a
local activity holds its workflow task, so every update of the conversation waits for it: a
second message posted while a REST CRM took 12 s over the first message's lookup was answered
503 after the API's update timeout. Now a local attempt gives up after a short while and the call
goes on as a normal activity, during which the workflow task completes and the next message is
recorded and answered.
Each test holds the far side until the second message has its answer; nothing is timed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web
from temporalio.client import Client

from engine.service.config import Settings
from tests.conftest import TEST_PACKS, publish, serve_service
from tests.local_servers import FakeCrm, FakeGateway, serve_crm, serve_gateway
from tests.polling import eventually
from tests.test_adapters import with_gateway
from tests.test_answer_on_record import handled

VIP = {"id": "c-9", "first_name": "Ada", "tier": "vip", "lifetime_value": 2000, "email": "ada@example.com"}


@dataclass
class HeldCrm(FakeCrm):
    """A REST CRM whose lookups wait until the test lets them go."""

    asked: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    lookups: int = 0

    async def lookup(self, request: web.Request) -> web.Response:
        self.lookups += 1
        self.asked.set()
        await self.release.wait()
        return await super().lookup(request)


async def test_a_message_is_answered_while_the_crm_is_slow_over_the_first(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "crm")
    crm = HeldCrm(customers={"ada@example.com": VIP})
    async with serve_crm(crm):
        chosen = settings.model_copy(update={"crm": "rest", "crm_url": crm.url})
        async with serve_service(client, chosen, tenants) as api:
            first = await api.post_message("slow-crm-1", "m-1", "Hello", wait=None)
            await crm.asked.wait()  # the first message's handling is waiting for the CRM
            second = await api.post_message("slow-crm-1", "m-2", "Hello again", wait=None)
            crm.release.set()
            entries = await handled(api, "slow-crm-1", "m-1", "m-2")
            conversation = (await api.get("slow-crm-1")).body
    assert first.status == 201
    assert second.status == 200, second.body  # 503 after the update timeout before
    assert second.body["seq"] > first.body["seq"]
    # The lookup went on after its local attempt (asked again by the normal activity): the customer
    # was still found, and the rules saw it.
    assert crm.lookups >= 2
    assert conversation["tags"] == ["vip"]
    created = next(e for e in entries if e["event"] == "conversation.created")
    assert created["note"] is None or "CRM unavailable" not in created["note"]


async def test_a_message_is_answered_while_the_channel_is_slow_to_take_the_acknowledgement(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    gateway = FakeGateway(hold=asyncio.Event())
    async with serve_gateway(gateway):
        # The gateway adapter gives up after 10 s: the answer came after that before, 503 with an
        # update timeout under it (an operator behind a proxy that waits 10 s sets one).
        chosen = with_gateway(settings, gateway).model_copy(update={"update_timeout_seconds": 8})
        async with serve_service(client, chosen, tenants) as api:
            first = await api.post_message(
                "slow-wa-1", "wamid.1", "Hi there", channel="whatsapp", sender="+4915100000001", wait=None
            )
            await gateway.arrived.wait()  # the acknowledgement is at the gateway, unanswered
            second = await api.post_message(
                "slow-wa-1", "wamid.2", "Anyone?", channel="whatsapp", sender="+4915100000001", wait=None
            )
            assert gateway.hold is not None
            gateway.hold.set()
            await handled(api, "slow-wa-1", "wamid.1", "wamid.2")

            async def acknowledged() -> bool:
                return len(gateway.accepted) >= 1

            await eventually(acknowledged, "the acknowledgement accepted by the gateway")
        keys = {r.headers["Idempotency-Key"] for r in gateway.requests}
    assert first.status == 201
    assert second.status == 200, second.body  # 503 before
    # The attempt cut short finished its send in the background; the normal activity found it
    # delivered rather than sending it again (a mailbox would not dedup a second copy).
    assert len(gateway.requests) == 1 and len(gateway.accepted) == 1 and len(keys) == 1


async def test_a_reply_repeated_while_the_original_waits_is_answered_with_the_original_seq(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """An agent's client that gives up on a reply held behind a slow CRM and sends it again: the
    repeat is a duplicate and must name the seq the reply is recorded with. It named the newest seq
    at the time (the customer's message), before the reply had one."""
    publish(settings, TEST_PACKS / "crm")
    crm = HeldCrm(customers={"ada@example.com": VIP})
    path = "/v1/conversations/slow-crm-r/replies"
    reply = {"agent_id": "agent-1", "text": "On it", "message_id": "r-1"}
    async with serve_crm(crm):
        chosen = settings.model_copy(update={"crm": "rest", "crm_url": crm.url})
        async with serve_service(client, chosen, tenants) as api:
            assert (await api.post_message("slow-crm-r", "m-1", "Hello", wait=None)).status == 201
            await crm.asked.wait()  # the message's handling holds the conversation, waiting for the CRM
            original = asyncio.create_task(api.request("POST", path, json=reply))
            handle = client.get_workflow_handle(api.workflow_id("slow-crm-r"))

            async def replies_taken(count: int) -> bool:
                history = await handle.fetch_history()
                names = [
                    e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
                    for e in history.events
                    if e.HasField("workflow_execution_update_accepted_event_attributes")
                ]
                return names.count("post_reply") == count

            await eventually(lambda: replies_taken(1), "the reply taken, waiting for the message's handling")
            repeat = asyncio.create_task(api.request("POST", path, json=reply))
            await eventually(lambda: replies_taken(2), "the repeat taken, the CRM still holding")
            crm.release.set()
            first, again = await original, await repeat
    assert first.status == 200 and again.status == 200, (first, again)
    assert first.body["duplicate"] is False and again.body["duplicate"] is True
    assert again.body["seq"] == first.body["seq"], (first.body, again.body)
