"""An agent's reply says how its send went: delivered, sending (in the background) or failed.

The receipt of `POST .../replies` carries `delivery` (workflows/conversation/replies.py); a client's
retry of the reply (the same `message_id`) is answered with how the send stands then. A reply the
channel refuses at once is told as one refused in the background is: `message.delivery_failed` on
the trail and to subscribers. Each test brings the far side down or up on events it observes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.rule_decisions import PackRegistry, RuleActivities
from engine.contracts.decisions import DecideRequest, DecideResult
from engine.db.packs import PackStore
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient, trail
from tests.conftest import TEST_PACKS, build_worker, publish, replay_every_run, serve_api, serve_service
from tests.late_sends import delivered_late
from tests.local_servers import serve_gateway
from tests.polling import eventually
from tests.test_adapters import with_gateway
from tests.test_event_subscriptions import quick, subscribe
from tests.test_sends_in_background import CUSTOMER, FlakyGateway, HeldGateway, post_reply, received_events


async def test_a_reply_the_channel_refuses_at_once_is_answered_failed_and_told(
    client: Client, settings: Settings, tenants: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    # The gateway refuses the reply itself on its first attempt (400: a number it cannot reach, a
    # message it will not take). The reply was answered 200 like a delivered one and the integrator
    # was told `message.sent` alone: only the trail's note said it had failed.
    caplog.set_level(logging.INFO)
    gateway = FlakyGateway(statuses=[200, 400])
    async with serve_gateway(gateway), received_events() as receiver:
        chosen = quick(with_gateway(settings, gateway), tenants)
        async with serve_service(client, chosen, tenants) as api:
            await subscribe(api, receiver.url, ["message.sent", "message.delivery_failed"])
            await api.post_message("down-8", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            refused = await post_reply(api, "down-8", "Your code is ZQXJ", message_id="r-refused")
            again = await post_reply(api, "down-8", "Your code is ZQXJ", message_id="r-refused")
            taken = await post_reply(api, "down-8", "Try this instead", message_id="r-taken")

            async def told() -> bool:
                return len(receiver.received) == 3

            await eventually(told, "the integrator told of both replies and of the refusal")
            entries = await trail(api, "down-8")
    assert (refused.status, taken.status) == (200, 200), (refused.body, taken.body)
    assert (refused.body["delivery"], taken.body["delivery"]) == ("failed", "delivered")
    # A client's retry of the refused reply learns it too.
    assert again.body["duplicate"] and again.body["delivery"] == "failed", again.body
    events = sorted(((r.event["type"], r.event["data"]["message_id"]) for r in receiver.received), key=str)
    assert events == [
        ("message.delivery_failed", "r-refused"),
        ("message.sent", "r-refused"),
        ("message.sent", "r-taken"),
    ], events
    failure = next(e for e in entries if e["event"] == "message.delivery_failed")
    assert failure["message_id"] == "r-refused" and "400" in failure["note"], failure
    assert failure["seq"] == refused.body["seq"] + 1 and "ZQXJ" not in json.dumps(entries)
    assert gateway.texts()[1:] == ["Try this instead"]  # the refused one was never taken
    # The refusal is one WARNING line of the worker's, as an outage's attempts are: the SDK logged it
    # with its traceback (30 lines).
    refusal = [r for r in caplog.records if "GatewayRejected" in r.getMessage() + str(r.exc_info)]
    assert refusal and all(r.exc_info is None and r.levelno == logging.WARNING for r in refusal), [
        (r.name, r.getMessage()) for r in refusal
    ]


def decide_failing_on_replies(rules: RuleActivities) -> Callable[[DecideRequest], Awaitable[DecideResult]]:
    """The real decision, except for `message.sent`: the rules cannot take an agent's reply."""

    @activity.defn(name="decide")
    async def decide(request: DecideRequest) -> DecideResult:
        if request.context["event"]["type"] == "message.sent":
            raise ApplicationError("cannot take it", type="UndecidableContext", non_retryable=True)
        return await rules.decide(request)

    return decide


async def test_a_retried_reply_says_sending_while_its_send_waits_even_when_its_rules_failed(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    # The gateway is down, so the reply goes on in the background; its rules fail, and the trail's
    # `message.sent` entry then notes the failed decision instead of the send in the background. A
    # retry of the reply read that note and was told `delivered` while nothing had reached the customer.
    database = database_of(settings)
    rules = RuleActivities(PackRegistry(PackStore(database)))
    gateway = FlakyGateway(down=True)
    async with serve_gateway(gateway):
        chosen = with_gateway(settings, gateway)
        async with (
            build_worker(client, chosen, replace=[decide_failing_on_replies(rules)]),
            serve_api(client, chosen, tenants) as api,
        ):
            await api.post_message("down-9", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            first = await post_reply(api, "down-9", "On it", message_id="r-9")
            retried = await post_reply(api, "down-9", "On it", message_id="r-9")
            entries = await trail(api, "down-9")
            gateway.down = False
            await delivered_late(api, "down-9", 2)
            after = await post_reply(api, "down-9", "On it", message_id="r-9")
    await database.dispose()
    await replay_every_run(client, chosen.task_queue)
    sent = next(e for e in entries if e["event"] == "message.sent")
    # What the trail says of the reply: its send in the background, and then its failed decision.
    assert "in the background" in sent["note"] and "decision failed" in sent["note"], sent
    assert (first.body["delivery"], retried.body["delivery"]) == ("sending", "sending"), retried.body
    assert retried.body["duplicate"] and after.body["delivery"] == "delivered", after.body
    assert gateway.texts()[1:] == ["On it"]


async def failure_decided(api: ApiClient, conversation: str) -> dict:
    """The conversation's `message.delivery_failed` entry once its rules decided on it."""
    found: dict = {}

    async def decided() -> bool:
        nonlocal found
        entries = await trail(api, conversation)
        found = next((e for e in entries if e["event"] == "message.delivery_failed"), {})
        return bool(found.get("decision"))

    await eventually(decided, "the refused reply decided by the rules")
    return found


@pytest.mark.parametrize(
    ("statuses", "when"),
    [([200, 400], "at once"), ([200, 503, 400], "in the background")],
)
async def test_a_pack_acts_on_a_reply_the_channel_refused(
    client: Client, settings: Settings, tenants: dict[str, str], statuses: list[int], when: str
) -> None:
    # The pack tags the conversation, raises its priority and tells its team when an agent's reply
    # did not reach the customer. No rule could: the refusal was recorded, never decided on.
    publish(settings, TEST_PACKS / "reply_failed")
    gateway, paging = FlakyGateway(statuses=statuses), FlakyGateway()
    async with serve_gateway(gateway), serve_gateway(paging):
        chosen = with_gateway(settings, gateway).model_copy(
            update={"notify_url": paging.url, "update_timeout_seconds": 8}
        )
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("down-10", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            refused = await post_reply(api, "down-10", "Your code is 1234", message_id="r-10")
            failure = await failure_decided(api, "down-10")
            conversation = (await api.get("down-10")).body

            async def told() -> bool:
                return bool(paging.accepted)

            await eventually(told, "the team told of the refused reply")
    await replay_every_run(client, chosen.task_queue)
    assert refused.body["delivery"] == ("failed" if when == "at once" else "sending"), refused.body
    assert failure["message_id"] == "r-10" and "400" in failure["note"], failure  # the reason stays
    matched = [r["id"] for r in failure["decision"]["rules"] if r["outcome"] == "matched"]
    assert matched == ["a-reply-did-not-reach-the-customer"], failure["decision"]
    assert "reply-failed" in conversation["tags"] and conversation["priority"] == "high", conversation
    assert paging.texts() == ["Reply r-10 in down-10 did not reach the customer"]  # its placeholders filled
    assert gateway.texts() == ["We got your message."]  # the refused reply never reached the customer


@pytest.mark.parametrize("customer_writes_again", [True, False], ids=["next thread", "closed"])
async def test_a_reply_refused_after_a_close_is_recorded_on_its_thread_not_decided(
    client: Client, settings: Settings, tenants: dict[str, str], customer_writes_again: bool
) -> None:
    # The reply goes to the background (503); the gateway holds its next try while the conversation
    # is closed (and, in one case, the customer writes again: thread 2), then refuses it (400). The
    # rules act on the conversation as it is now: thread 2 did not send that reply, and a closed
    # conversation takes no rule's actions (its rules ran there: a tag, a priority, the team told;
    # an `assign` would have taken a seat no close gives back).
    publish(settings, TEST_PACKS / "reply_failed")
    gateway, paging = HeldGateway(statuses=[200, 503, 400], held=3), FlakyGateway()
    async with serve_gateway(gateway), serve_gateway(paging):
        chosen = with_gateway(settings, gateway).model_copy(update={"notify_url": paging.url})
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("down-11", "wamid.1", "Hi", channel="whatsapp", sender=CUSTOMER)
            await post_reply(api, "down-11", "Your code is 1234", message_id="r-11")
            await gateway.reached.wait()  # the reply's try in the background, held
            await api.request("POST", "/v1/conversations/down-11/status", json={"status": "closed"})
            if customer_writes_again:
                again = await api.post_message(
                    "down-11", "wamid.2", "Hi again", channel="whatsapp", sender=CUSTOMER
                )
                assert again.body["thread"] == 2, again.body
            gateway.release.set()
            entries: list[dict] = []

            async def ended() -> bool:  # the reply's failure (and thread 2's acknowledgement)
                nonlocal entries
                entries = await trail(api, "down-11")
                done = [e["event"] for e in entries]
                return "message.delivery_failed" in done and (
                    "message.delivered" in done or not customer_writes_again
                )

            await eventually(ended, "the reply's failure on the trail", within=30)
            conversation = (await api.get("down-11")).body
    await replay_every_run(client, chosen.task_queue)
    failure = next(e for e in entries if e["event"] == "message.delivery_failed")
    assert (failure["thread"], failure["message_id"], failure["decision"]) == (1, "r-11", None), failure
    assert "reply-failed" not in conversation["tags"] and conversation["priority"] != "high", conversation
    assert conversation["status"] == ("open" if customer_writes_again else "closed")
    assert not paging.requests
