"""A channel that is down holds no conversation: its sends go on in the background, in order.

A send's first attempt is a short local activity (options.py LOCAL_NETWORK_ATTEMPT); when the channel
refuses it with a retryable error, the normal activity retries it for up to an hour. That activity
used to run inside the handler, under the conversation's lock: an agent's reply during a WhatsApp
gateway outage was answered 503 after the API's update timeout, and a status change or the next
reply waited behind it the same way. Now the send goes on in the background, behind any send still
waiting, and the trail records how it ended (`message.delivered` or `message.delivery_failed`). The
customer's messages (acknowledgement, replies, survey) share one line; notifications and webhooks
wait in another, so a paging endpoint that is down delays no reply.
Each test takes a far side down and brings it back on events it observes; nothing is timed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from temporalio.client import Client

from engine.service.config import Settings
from tests.api_client import ApiClient, Reply
from tests.conftest import TEST_PACKS, publish, serve_service
from tests.event_receiver import EventReceiver
from tests.late_sends import delivered_late, trail
from tests.local_servers import FakeGateway, GatewayRequest, refusing_port, serve_gateway
from tests.polling import eventually
from tests.test_adapters import with_gateway
from tests.test_api_roles import keys_by_role
from tests.test_event_subscriptions import quick, subscribe

CUSTOMER = "+4915100000001"


@dataclass
class FlakyGateway(FakeGateway):
    """A gateway that answers every send 503 while `down`, and a status of `statuses` otherwise."""

    down: bool = False

    async def handle(self, request: web.Request) -> web.Response:
        if not self.down:
            return await super().handle(request)
        self.requests.append(GatewayRequest(dict(request.headers), await request.read()))
        return web.json_response({"status": 503}, status=503)

    def texts(self) -> list[str]:
        """What the gateway took, in the order it took it."""
        return [body["text"] for body in self.accepted.values()]


@contextlib.asynccontextmanager
async def received_events() -> AsyncIterator[EventReceiver]:
    receiver = EventReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.close()


async def post_reply(api: ApiClient, conversation: str, text: str, message_id: str | None = None) -> Reply:
    reply = {"agent_id": "agent-1", "text": text, "message_id": message_id or f"r-{uuid.uuid4().hex}"}
    return await api.request("POST", f"/v1/conversations/{conversation}/replies", json=reply)


async def test_replies_during_an_outage_are_answered_and_sent_in_order_when_it_ends(
    client: Client, settings: Settings, tenants: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    gateway = FlakyGateway(down=True)
    async with serve_gateway(gateway):
        # Under the update timeout's default (30 s) the replies' answer took as long before; a short one
        # makes the test fail fast on that code.
        chosen = with_gateway(settings, gateway).model_copy(update={"update_timeout_seconds": 8})
        async with serve_service(client, chosen, tenants) as api:
            first = await api.post_message("down-1", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            one = await post_reply(api, "down-1", "We are looking into it", message_id="r-one")
            retried = await post_reply(api, "down-1", "We are looking into it", message_id="r-one")
            two = await post_reply(api, "down-1", "Found it: a fix is on its way")
            solved = await api.request("POST", "/v1/conversations/down-1/status", json={"status": "solved"})
            assert not gateway.accepted, "the gateway was down: nothing can have been delivered yet"
            waiting = (await api.get("down-1")).body
            gateway.down = False

            async def all_delivered() -> bool:
                return len(gateway.accepted) == 3

            await eventually(all_delivered, "the acknowledgement and both replies delivered")
            entries = await delivered_late(api, "down-1", 3)
            after = (await api.get("down-1")).body
            retried_after = await post_reply(api, "down-1", "We are looking into it", message_id="r-one")
    assert first.status == 201, first.body
    assert (one.status, two.status, solved.status) == (200, 200, 200), (one.body, two.body, solved.body)
    assert (one.body["delivery"], two.body["delivery"]) == ("sending", "sending")  # the channel is down
    # A client's retry of a reply learns how its send stands now: still waiting, then delivered.
    assert retried.body["duplicate"] and retried.body["seq"] == one.body["seq"], retried.body
    assert (retried.body["delivery"], retried_after.body["delivery"]) == ("sending", "delivered")
    assert solved.body["status"] == "solved"
    # The conversation says what waits for the channel, and that nothing does once the trail says so.
    assert (waiting["sends_waiting"], waiting["agent_messages"]) == (3, 2), waiting
    assert after["sends_waiting"] == 0 and after["crm_writes_waiting"] == 0, after
    # The acknowledgement was queued first, so it went first; the replies in the order they were posted.
    texts = gateway.texts()
    assert texts[1:] == ["We are looking into it", "Found it: a fix is on its way"], texts
    # Each send has one key, and the gateway took each once, whatever the retries.
    keys = [r.headers["Idempotency-Key"] for r in gateway.requests]
    assert len(set(keys)) == 3 and len(gateway.accepted) == 3
    sent = [e for e in entries if e["event"] == "message.sent"]
    assert len(sent) == 2 and all("in the background" in e["note"] for e in sent), sent
    late = [e for e in entries if e["event"] == "message.delivered"]
    assert len(late) == 3 and all(e["seq"] > sent[-1]["seq"] for e in late)
    assert not any("Found it" in json.dumps(e) for e in entries), "no message text on the trail"
    # Each failed attempt is one line of the worker's, without the SDK's traceback (27 lines each).
    outage = [r for r in caplog.records if "GatewayUnavailable" in r.getMessage() + str(r.exc_info)]
    assert outage and all(r.exc_info is None and r.levelno == logging.WARNING for r in outage), [
        (r.name, r.getMessage()) for r in outage if r.exc_info
    ]
    assert not any("Found it" in r.getMessage() for r in caplog.records)


async def test_a_send_that_fails_for_good_in_the_background_is_on_the_trail_and_told(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    # The acknowledgement goes through; the reply's first attempt meets a 503 (retryable) and its next
    # a 400 (the gateway refuses the message itself): it failed for good.
    gateway = FlakyGateway(statuses=[200, 503, 400])
    async with serve_gateway(gateway), received_events() as receiver:
        chosen = quick(with_gateway(settings, gateway), tenants, update_timeout_seconds=8)
        async with serve_service(client, chosen, tenants) as api:
            await subscribe(api, receiver.url, ["message.sent", "message.delivery_failed"])
            await api.post_message("down-2", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            answer = await post_reply(api, "down-2", "Here is your refund code", message_id="r-refund")
            entries: list[dict] = []

            async def failed() -> bool:
                nonlocal entries
                entries = await trail(api, "down-2")
                return any(e["event"] == "message.delivery_failed" for e in entries)

            await eventually(failed, "the failed send on the trail")

            async def told() -> bool:
                return len(receiver.received) == 2

            await eventually(told, "the integrator told of the reply and of its failed send")
            # An auditor sees it on the conversation's timeline.
            keys = await keys_by_role(chosen, tenants["acme"])
            auditor = {"Authorization": f"Bearer {keys['auditor']}"}
            async with api.session.get(
                f"{api.base_url}/v1/conversations/down-2/timeline", headers=auditor
            ) as page:
                timeline = await page.text()
    assert answer.status == 200, answer.body
    assert "send failed" in timeline and "refund code" not in timeline
    events = [r.event for r in receiver.received]
    assert [e["type"] for e in events] == ["message.sent", "message.delivery_failed"], events
    assert [e["data"]["message_id"] for e in events] == ["r-refund", "r-refund"]
    assert "refund code" not in json.dumps(events)
    failure = next(e for e in entries if e["event"] == "message.delivery_failed")
    assert "agent_reply" in failure["note"] and "400" in failure["note"], failure
    assert "refund code" not in json.dumps(entries)
    assert len(gateway.accepted) == 1  # the acknowledgement only


async def test_a_full_run_continues_as_new_only_once_its_sends_ended(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    # Three events make a run full: it would continue as new while the line of sends waits, and a
    # send left in a finished run would never go out.
    gateway = FlakyGateway(down=True)
    async with serve_gateway(gateway):
        chosen = with_gateway(settings, gateway).model_copy(
            update={"update_timeout_seconds": 8, "max_events_per_run": 3}
        )
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("down-3", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            replies = [await post_reply(api, "down-3", f"Reply number {n}") for n in (1, 2, 3)]
            first_run = (await client.get_workflow_handle(api.workflow_id("down-3")).describe()).run_id
            gateway.down = False
            entries = await delivered_late(api, "down-3", 4)

            async def continued() -> bool:
                handle = client.get_workflow_handle(api.workflow_id("down-3"))
                return (await handle.describe()).run_id != first_run

            await eventually(continued, "the full run continued as new after its sends")
            after = await api.get("down-3")
    assert [r.status for r in replies] == [200, 200, 200]
    assert gateway.texts()[1:] == ["Reply number 1", "Reply number 2", "Reply number 3"]
    assert len(gateway.accepted) == 4 and len({r.headers["Idempotency-Key"] for r in gateway.requests}) == 4
    assert sum(e["event"] == "message.delivered" for e in entries) == 4
    assert after.body["agent_messages"] == 3, after.body


async def test_a_relay_that_refuses_connections_holds_no_reply_and_logs_one_line_per_attempt(
    client: Client, settings: Settings, tenants: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with refusing_port() as port:
        chosen = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_starttls": False,
                "update_timeout_seconds": 8,
            }
        )
        async with serve_service(client, chosen, tenants) as api:
            first = await api.post_message("relay-1", "m-1", "My invoice is wrong")
            reply = await post_reply(api, "relay-1", "Fixed it")
            conversation = (await api.get("relay-1")).body

            async def retried() -> bool:  # the relay stays down: each attempt is logged as it fails
                return sum("SmtpUnavailable" in r.getMessage() for r in caplog.records) >= 3

            await eventually(retried, "three failed attempts logged")
    assert (first.status, reply.status) == (201, 200), (first.body, reply.body)
    assert conversation["sends_waiting"] == 2  # the acknowledgement, then the reply
    down = [r for r in caplog.records if "SmtpUnavailable" in r.getMessage() + str(r.exc_info)]
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in down), [
        (r.levelname, r.getMessage()) for r in down if r.exc_info or r.levelno != logging.WARNING
    ]


async def test_a_survey_due_during_an_outage_joins_the_line_and_holds_no_agent(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    # The kpi pack sends its survey 0.3 s after a solve. The survey used to wait for the line under the
    # conversation's lock, so an agent's call then waited for the gateway like before the line.
    publish(settings, TEST_PACKS / "kpi")
    gateway = FlakyGateway(down=True)
    async with serve_gateway(gateway):
        chosen = with_gateway(settings, gateway).model_copy(update={"update_timeout_seconds": 8})
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("down-4", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            solved = await api.request("POST", "/v1/conversations/down-4/status", json={"status": "solved"})

            async def survey_due() -> bool:
                return any(e["event"] == "survey.due" for e in await trail(api, "down-4"))

            await eventually(survey_due, "the survey due")
            reopened = await api.request("POST", "/v1/conversations/down-4/status", json={"status": "open"})
            waiting = (await api.get("down-4")).body
            gateway.down = False
            await delivered_late(api, "down-4", 2)
    assert (solved.status, reopened.status) == (200, 200), (solved.body, reopened.body)
    assert waiting["sends_waiting"] == 2 and waiting["survey"]["status"] == "sent", waiting
    assert gateway.texts() == ["We got your message.", "How did we do? 1-5"]


async def test_a_notification_endpoint_that_is_down_holds_no_reply_to_the_customer(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    # Notifications and webhooks wait in a line of their own: their recipient being down delays no
    # message to the customer (in one line, the reply waited behind the notification's retries).
    publish(settings, TEST_PACKS / "notify")
    gateway, paging = FlakyGateway(), FlakyGateway(down=True)
    async with serve_gateway(gateway), serve_gateway(paging):
        chosen = with_gateway(settings, gateway).model_copy(
            update={"notify_url": paging.url, "update_timeout_seconds": 8}
        )
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("down-5", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            reply = await post_reply(api, "down-5", "On it")

            async def replied() -> bool:
                return "On it" in gateway.texts()

            await eventually(replied, "the reply at the gateway")
            waiting = (await api.get("down-5")).body["sends_waiting"]
    assert reply.status == 200, reply.body
    assert gateway.texts() == ["We got your message.", "On it"]
    assert waiting == 1 and paging.requests and not paging.accepted  # the notification still waits


async def no_survey_counted(api: ApiClient) -> None:
    """Wait until the KPI report counts no survey as sent (its response rate's denominator is 0)."""

    async def uncounted() -> bool:
        report = (await api.request("GET", "/v1/kpis")).body
        rates = report["rows"][0]["metrics"]["survey_response_rate"] if report["rows"] else {}
        return rates.get("denominator") == 0

    await eventually(uncounted, "the failed survey out of the survey response rate")


async def test_a_survey_that_fails_for_good_in_the_background_is_not_counted_as_sent(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    # The kpi pack surveys 0.3 s after a solve. The survey's short attempt meets a 503, so it goes on in
    # the background and counts as sent; there the gateway refuses it (400): it never reached the
    # customer, and the survey response rate counted it all the same.
    publish(settings, TEST_PACKS / "kpi")
    gateway = FlakyGateway(statuses=[200, 503, 400])
    async with serve_gateway(gateway):
        async with serve_service(client, with_gateway(settings, gateway), tenants) as api:
            await api.post_message("down-6", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            solved = await api.request("POST", "/v1/conversations/down-6/status", json={"status": "solved"})

            async def failed() -> bool:
                return any(e["event"] == "message.delivery_failed" for e in await trail(api, "down-6"))

            await eventually(failed, "the survey's send failed for good", within=30)
            await no_survey_counted(api)
            conversation = (await api.get("down-6")).body
            entries = await trail(api, "down-6")
    assert solved.status == 200, solved.body
    assert conversation["survey"]["status"] == "failed", conversation["survey"]
    failure = next(e for e in entries if e["event"] == "message.delivery_failed")
    assert "survey" in failure["note"] and "400" in failure["note"], failure
    assert len(gateway.accepted) == 1  # the acknowledgement only


@dataclass
class HeldGateway(FlakyGateway):
    """Holds its `held`-th request (counted from 1) until `release` is set."""

    held: int = 0
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        if len(self.requests) + 1 == self.held:
            self.reached.set()
            await self.release.wait()
        return await super().handle(request)


async def heard_of_any(receiver: EventReceiver) -> bool:
    return bool(receiver.received)


async def test_a_survey_that_fails_after_the_next_thread_began_counts_against_its_own_thread(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    # Thread 1's survey goes to the background (503), and the gateway holds its next try while the
    # conversation is closed and the customer writes again (thread 2). The gateway then refuses it
    # (400). Its failure was recorded on thread 2: thread 1's trail did not have it, its survey stayed
    # counted as sent, and the integrator's event named thread 2.
    publish(settings, TEST_PACKS / "kpi")
    gateway = HeldGateway(statuses=[200, 503, 400], held=3)
    async with serve_gateway(gateway), received_events() as receiver:
        chosen = quick(with_gateway(settings, gateway), tenants)
        async with serve_service(client, chosen, tenants) as api:
            await subscribe(api, receiver.url, ["message.delivery_failed"])
            await api.post_message("down-7", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            await api.request("POST", "/v1/conversations/down-7/status", json={"status": "solved"})
            await gateway.reached.wait()  # the survey's try in the background, held
            closed = await api.request("POST", "/v1/conversations/down-7/status", json={"status": "closed"})
            # "office": thread 2 gets the office SLA, so its facts are measured on another calendar.
            again = await api.post_message("down-7", "wamid.2", "office", channel="whatsapp", sender=CUSTOMER)
            gateway.release.set()
            entries: list[dict] = []

            async def both_ended() -> bool:  # the survey's failure, then thread 2's acknowledgement
                nonlocal entries
                entries = await trail(api, "down-7")
                return any(e["event"] == "message.delivered" for e in entries)

            await eventually(both_ended, "the survey failed and the acknowledgement delivered", within=30)
            one = (await api.request("GET", "/v1/conversations/down-7/decisions?thread=1")).body["decisions"]
            await no_survey_counted(api)  # thread 1's failed, thread 2 has none
            await eventually(lambda: heard_of_any(receiver), "the integrator told of the failed survey")
            conversation = (await api.get("down-7")).body
    assert closed.status == 200 and again.body["thread"] == 2, (closed.body, again.body)
    failure = next(e for e in entries if e["event"] == "message.delivery_failed")
    assert "survey" in failure["note"] and failure["thread"] == 1, failure
    assert failure["seq"] in [e["seq"] for e in one]  # thread 1's own trail has it
    told_of = [(e.event["type"], e.event["thread"]) for e in receiver.received]
    assert told_of == [("message.delivery_failed", 1)], told_of
    # Its KPI facts are grouped as thread 1 closed, not by thread 2's calendar.
    opened = next(e for e in entries if e["event"] == "conversation.created" and e["thread"] == 2)
    assert (failure["kpi"]["calendar"], opened["kpi"]["calendar"]) == ("always", "office"), (failure, opened)
    # Thread 2 has not surveyed: its survey is not the one that failed.
    assert conversation["thread"] == 2 and conversation["survey"]["status"] != "failed", conversation
    assert gateway.texts() == ["We got your message.", "We got your message."]


async def test_a_gateway_slower_than_the_first_attempt_logs_one_line_and_no_traceback(
    client: Client, settings: Settings, tenants: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """The first attempt has a few seconds; a gateway slower than that cut it short, and the SDK
    logged "Completing activity as failed" at WARNING with the cancellation's traceback, as if
    something had broken, where README promises one line per failed attempt."""
    caplog.set_level(logging.DEBUG)
    gateway = FakeGateway(hold=asyncio.Event())
    async with serve_gateway(gateway) as served:
        async with serve_service(client, with_gateway(settings, served), tenants) as api:
            answer = await api.post_message(
                "slow-1", "wamid.1", "Hi", channel="whatsapp", sender="+4915100000009"
            )
            assert answer.status == 201, answer.body

            async def in_the_background() -> bool:
                return (await api.get("slow-1")).body["sends_waiting"] == 1

            await eventually(in_the_background, "the acknowledgement sent in the background", within=30)
            assert gateway.hold is not None
            gateway.hold.set()

            async def delivered() -> bool:
                return (await api.get("slow-1")).body["sends_waiting"] == 0

            await eventually(delivered, "the acknowledgement delivered", within=60)
    assert len(gateway.accepted) == 1
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING and r.exc_info]
    assert not loud, [(r.name, r.getMessage()[:80]) for r in loud]
    said = [r for r in caplog.records if r.levelno >= logging.WARNING and "AttemptTimedOut" in r.getMessage()]
    assert len(said) == 1 and said[0].name == "engine.service.activity_metrics", said
