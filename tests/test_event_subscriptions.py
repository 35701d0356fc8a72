"""Event subscriptions as an integrator sees them: a real receiver on 127.0.0.1 that is down, answers
500, answers too slowly, and comes back; every event arrives at least once, in order per
conversation, signed (checked by an independent Standard Webhooks verifier), without message text;
redelivery from a sequence and secret rotation work; a subscription that keeps failing is marked so.

Retry timing comes from small configured pauses (settings), never from sleeps: the tests wait for
what the receiver or the API shows.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.client import Client

from activities.conversation_events import ConversationEventActivities
from activities.handled_records import HandledRecordActivities
from activities.kpi_facts import KpiFactActivities
from engine.contracts.activities import RECORD_HANDLED
from engine.contracts.events import DATA_FIELDS, EVENT_TYPES, DeliveredEvent, EventData
from engine.contracts.message_ids import domain_of, key_digest
from engine.contracts.records import HandledRecords, RecordedCounts
from engine.db.event_deliveries import EventDeliveries
from engine.db.kpi_facts import KpiFactStore
from engine.db.schema import event_deliveries
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.worker import build_worker
from tests.api_client import ApiClient, Reply
from tests.conftest import TEST_PACKS, publish, serve_api, serve_service
from tests.event_receiver import EventReceiver, standard_webhooks_verify
from tests.outbox_rows import OutboxRows
from tests.replay import replay_every_run

TEXT = "Hello, my invoice is wrong"
DATA = Path(__file__).parent / "data" / "email"


def quick(settings: Settings, tenants: dict[str, str], **changes: Any) -> Settings:
    """Deliveries retried within a fraction of a second; acme may use a private (test) receiver."""
    return settings.model_copy(
        update={
            "subscription_private_tenants": tenants["acme"],
            "subscription_timeout_seconds": 0.5,
            "subscription_retry_first_seconds": 0.05,
            "subscription_retry_max_seconds": 0.2,
            "subscription_poll_seconds": 0.05,
            **changes,
        }
    )


@pytest.fixture
async def receiver() -> AsyncIterator[EventReceiver]:
    found = EventReceiver()
    await found.start()
    yield found
    await found.close()


async def subscribe(api: ApiClient, url: str, events: list[str] | None = None, tenant: str = "acme") -> dict:
    reply = await api.request(
        "POST",
        "/v1/subscriptions",
        tenant=tenant,
        json={
            "url": url,
            "events": events
            or ["conversation.created", "message.received", "message.sent", "status.changed"],
            "description": "helpdesk",
            "allow_private": True,
        },
    )
    assert reply.status == 201, reply.body
    assert reply.body["secret"].startswith("whsec_")
    return reply.body


async def until(check: Callable[[], Any], what: str, within: float = 20.0) -> Any:
    """Poll `check` (async, over the API) until it returns something truthy; fail naming `what`."""
    try:
        async with asyncio.timeout(within):
            while not (found := await check()):  # noqa: ASYNC110 - polling the API over HTTP
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {within}s: {what}") from None
    return found


async def attempts(api: ApiClient, sub_id: str, query: str = "") -> list[dict]:
    reply = await api.request("GET", f"/v1/subscriptions/{sub_id}/deliveries?limit=1000{query}")
    assert reply.status == 200, reply.body
    return reply.body["attempts"]


async def drive(api: ApiClient, conversation: str, message_id: str) -> None:
    assert (await api.post_message(conversation, f"{message_id}-1", TEXT)).status == 201
    assert (await api.post_message(conversation, f"{message_id}-2", "Any news?")).status == 200
    reply = {"agent_id": "ana", "text": "We fixed the invoice, Ada.", "message_id": f"{message_id}-r"}
    assert (await api.request("POST", f"/v1/conversations/{conversation}/replies", json=reply)).status == 200
    status = {"status": "solved"}
    assert (await api.request("POST", f"/v1/conversations/{conversation}/status", json=status)).status == 200


# The first message creates the conversation and is received; a second; a reply; solved.
EXPECTED = ["conversation.created", "message.received", "message.received", "message.sent", "status.changed"]


async def test_every_event_arrives_in_order_through_an_outage_errors_and_a_slow_receiver(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    chosen = quick(settings, tenants)
    async with serve_service(client, chosen, tenants) as api:
        sub = await subscribe(api, receiver.url)
        await receiver.stop()  # down: connections refused
        await drive(api, "c-1", "a")
        await drive(api, "c-2", "b")
        refused = await until(
            lambda: _unreachable(api, sub["id"]), "attempts against the receiver while it is down"
        )
        assert all(a["status_code"] is None and a["next_retry_at"] for a in refused)
        receiver.plan = ["500", "500", "slow"]
        await receiver.start()  # back, but failing twice and then too slow once
        await receiver.wait_for(lambda r: all(len(r.first_arrivals(c)) == 5 for c in ("c-1", "c-2")))

        for conversation in ("c-1", "c-2"):
            arrived = receiver.first_arrivals(conversation)
            assert [e["type"] for e in arrived] == EXPECTED
            assert [e["sequence"] for e in arrived] == [1, 2, 3, 4, 5]
            # at least once, in order: a repeat never comes after a later event of its conversation
            every = [e["sequence"] for e in receiver.events() if e["conversation_id"] == conversation]
            assert every == sorted(every)
        # Each body is what the OpenAPI document's `webhooks` says (a generated client's model): the
        # events were README prose only, with no schema a receiver could validate against.
        document = (await api.request("GET", "/v1/openapi.json", tenant=None)).body
        described = {"$ref": "#/components/schemas/DeliveredEvent", "components": document["components"]}
        assert document["webhooks"]["conversationEvent"]["post"]["requestBody"]["content"]
        for request in receiver.received:
            jsonschema.validate(request.event, described, cls=jsonschema.Draft202012Validator)
            assert standard_webhooks_verify(sub["secret"], request.headers, request.body)
            assert request.headers["webhook-id"] == request.event["id"]
            assert TEXT.encode() not in request.body and b"We fixed" not in request.body
        created = receiver.first_arrivals("c-1")[0]
        assert created["data"]["channel"] == "email" and created["data"]["message_id"] == "a-1"
        solved = receiver.first_arrivals("c-1")[4]["data"]
        assert (solved["from"], solved["to"]) == ("open", "solved")
        assert receiver.first_arrivals("c-1")[3]["data"]["agent"] == "ana"

        async def settled() -> dict | None:  # the last answers recorded (they reach the receiver first)
            body = (await api.request("GET", f"/v1/subscriptions/{sub['id']}")).body
            return body if body["queue"]["pending"] == 0 else None

        detail = await until(settled, "every delivery recorded")
        assert detail["state"] == "active" and detail["queue"]["delivered"] == 10 and "secret" not in detail
        shown = await attempts(api, sub["id"])
        paged, link = [], "/v1/subscriptions/" + sub["id"] + "/deliveries?limit=3"
        while link:  # the same attempts page by page
            page = (await api.request("GET", link)).body
            paged, link = paged + page["attempts"], page["next"]
        assert paged == shown
        assert {a["status_code"] for a in shown} >= {500, 204}
        assert any(a["error"] and a["error"].startswith("timeout") for a in shown)
        assert all(a["latency_ms"] >= 0 for a in shown)
        assert all(a["next_retry_at"] is None for a in shown if a["status_code"] == 204)

        # Redeliver c-1 from its second event: the same events (same webhook-id), in order.
        before = len(receiver.received)
        again = await api.request(
            "POST", f"/v1/subscriptions/{sub['id']}/redeliver?from_sequence=2&conversation_id=c-1"
        )
        assert again.status == 202 and again.body == {"queued": 4}
        await receiver.wait_for(lambda r: len(r.received) >= before + 4)
        replayed = [r.event for r in receiver.received[before:]]
        assert [e["sequence"] for e in replayed] == [2, 3, 4, 5]
        assert [e["id"] for e in replayed] == [e["id"] for e in receiver.first_arrivals("c-1")[1:]]

        # A mistyped conversation, or a sequence past its last, says so (it answered `queued: 0`).
        typo = f"/v1/subscriptions/{sub['id']}/redeliver?from_sequence=1&conversation_id=c-l"
        unknown = await api.request("POST", typo)
        assert unknown.status == 404 and unknown.body["error"] == "conversation_not_found"
        assert unknown.body["fields"][0]["field"] == "conversation_id"
        past = f"/v1/subscriptions/{sub['id']}/redeliver?from_sequence=9&conversation_id=c-1"
        beyond = await api.request("POST", past)
        assert beyond.status == 422 and beyond.body["fields"][0]["field"] == "from_sequence"
        assert "1 to 5" in beyond.body["message"]
        every = await api.request("POST", f"/v1/subscriptions/{sub['id']}/redeliver?from_sequence=99")
        assert every.status == 422 and every.body["fields"][0]["field"] == "from_sequence", every.body


async def _unreachable(api: ApiClient, sub_id: str) -> list[dict]:
    found = [a for a in await attempts(api, sub_id) if (a["error"] or "").startswith("unreachable")]
    return found if len(found) >= 2 else []


async def test_a_worker_stopped_for_a_deploy_finishes_the_sends_under_way(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """A planned stop (Ctrl-C, SIGTERM in a rolling deploy) cancelled the sends under way: another
    worker sent the same events again when their leases ran out, 40 s later, and held back those
    conversations' next events meanwhile (helper-123). The sends end first, and are recorded."""
    receiver.plan = ["late"]
    chosen = quick(settings, tenants, subscription_timeout_seconds=30)
    async with serve_api(client, chosen, tenants) as api:
        running = build_worker(client, chosen)
        await running.__aenter__()
        try:
            sub = await subscribe(api, receiver.url, ["conversation.created"])
            assert (await api.post_message("deploy-1", "m-1", TEXT)).status == 201
            await receiver.wait_for(lambda r: len(r.received) == 1)  # its answer takes a while
        finally:
            await running.__aexit__(None, None, None)
        shown = await attempts(api, sub["id"])
    assert [(a["status_code"], a["next_retry_at"]) for a in shown] == [(204, None)], shown
    await replay_every_run(client, chosen.task_queue)


async def test_a_rotated_secret_and_the_previous_one_both_verify_during_the_overlap(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    async with serve_service(client, quick(settings, tenants), tenants) as api:
        sub = await subscribe(api, receiver.url, ["conversation.created", "message.received"])
        rotated = await api.request(
            "POST", f"/v1/subscriptions/{sub['id']}/rotate-secret", json={"overlap_hours": 1}
        )
        assert rotated.status == 201 and rotated.headers["Cache-Control"] == "no-store"
        new_secret = rotated.body["secret"]
        assert new_secret != sub["secret"] and rotated.body["previous_secret_retires_at"]
        assert (await api.post_message("c-9", "m-1")).status == 201
        await receiver.wait_for(lambda r: len(r.received) >= 1)
        request = receiver.received[0]
        # A receiver of two subscriptions tells their sequences apart (each counts its own line).
        assert request.event["subscription_id"] == sub["id"]
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        assert standard_webhooks_verify(new_secret, request.headers, request.body)
        assert standard_webhooks_verify(sub["secret"], request.headers, request.body)

        # A second rotation within the overlap (the first answer lost, say): the first secret keeps
        # its promised hour beside the two after it. It was dropped at once.
        again = await api.request(
            "POST", f"/v1/subscriptions/{sub['id']}/rotate-secret", json={"overlap_hours": 2}
        )
        third = again.body["secret"]
        assert again.body["earlier_secrets_retire_at"] == [rotated.body["previous_secret_retires_at"]]
        assert (await api.post_message("c-9", "m-0")).status == 200
        await receiver.wait_for(lambda r: any(e["sequence"] == 3 for e in r.events()))
        (request,) = [r for r in receiver.received if r.event["sequence"] == 3]
        assert len(request.headers["webhook-signature"].split(" ")) == 3
        for secret in (third, new_secret, sub["secret"]):
            assert standard_webhooks_verify(secret, request.headers, request.body)

        # Overlap 0 (a leaked secret): only the newest signs from now on.
        leaked = await api.request(
            "POST", f"/v1/subscriptions/{sub['id']}/rotate-secret", json={"overlap_hours": 0}
        )
        newest = leaked.body["secret"]
        assert (leaked.body["previous_secret_retires_at"], leaked.body["earlier_secrets_retire_at"]) == (
            None,
            [],
        )
        assert (await api.post_message("c-9", "m-2")).status == 200
        await receiver.wait_for(lambda r: any(e["sequence"] == 4 for e in r.events()))
        (last,) = [r for r in receiver.received if r.event["sequence"] == 4]
        assert last.event["type"] == "message.received" and last.event["sequence"] == 4
        assert standard_webhooks_verify(newest, last.headers, last.body)
        assert len(last.headers["webhook-signature"].split(" ")) == 1


async def test_a_subscription_that_keeps_failing_is_marked_and_recovers(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    receiver: EventReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Retries stop 0.5 s after an event was queued (24 hours in production).
    chosen = quick(settings, tenants, subscription_retry_hours=0.5 / 3600)
    receiver.plan = ["500"] * 1000
    caplog.set_level(logging.INFO)
    async with serve_service(client, chosen, tenants) as api:
        sub = await subscribe(api, receiver.url, ["conversation.created", "message.received"])
        assert (await api.post_message("c-5", "m-1", TEXT)).status == 201

        async def failing() -> dict | None:
            body = (await api.request("GET", f"/v1/subscriptions/{sub['id']}")).body
            return body if body["state"] == "failing" else None

        marked = await until(failing, "the subscription marked failing")
        assert marked["failing_since"] and marked["queue"]["failed"] >= 1
        listed = (await api.request("GET", "/v1/subscriptions")).body["subscriptions"]
        assert [s["state"] for s in listed] == ["failing"]
        notes = [r.getMessage() for r in caplog.records if "is failing" in r.getMessage()]
        assert notes and sub["id"] in notes[0] and "seq 1" in notes[0]
        assert "redeliver?from_sequence=1&conversation_id=" in notes[0]

        assert not any(TEXT in r.getMessage() or receiver.url in r.getMessage() for r in caplog.records)

        receiver.plan = []  # fixed: the next event is delivered and the subscription is active again
        assert (await api.post_message("c-5", "m-2")).status == 200
        await receiver.wait_for(lambda r: any(e["sequence"] == 3 for e in r.events()))

        async def active() -> bool:
            return (await api.request("GET", f"/v1/subscriptions/{sub['id']}")).body["state"] == "active"

        await until(active, "the subscription active again")
        # what was given up stays given up (the receiver sees the gap and asks for a redelivery)
        detail = (await api.request("GET", f"/v1/subscriptions/{sub['id']}")).body
        assert detail["queue"]["failed"] >= 1 and detail["failing_since"] is None
        # ... which it finds without paging every attempt (`queue.failed` said how many, not which)
        path = f"/v1/subscriptions/{sub['id']}/given-up"
        gaps = (await api.request("GET", path)).body
        assert [(g["conversation_id"], g["sequence"], g["type"]) for g in gaps["given_up"]][:1] == [
            ("c-5", 1, "conversation.created")
        ], gaps
        first = gaps["given_up"][0]
        assert first["last_status_code"] == 500 and first["attempts"] >= 1 and first["last_attempt_at"]
        assert (await api.request("GET", f"{path}?conversation_id=c-other")).body["given_up"] == []
        paged, link = [], f"{path}?limit=1"
        while link:  # one by one, the same events in the same order
            page = (await api.request("GET", link)).body
            paged, link = paged + page["given_up"], page["next"]
        assert paged == gaps["given_up"]
        # A cursor is base64 JSON, not signed: one made by hand is a 422 naming it, never a 500.
        scope = hashlib.sha256(json.dumps([tenants["acme"], path, []]).encode()).hexdigest()[:16]
        for sequence in ("²", "9" * 200):
            token = json.dumps({"s": scope, "p": ["c-5", sequence]}).encode()
            cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
            forged = await api.request("GET", f"{path}?cursor={cursor}")
            assert forged.status == 422 and forged.body["fields"][0]["field"] == "cursor", forged.body
        again = f"/v1/subscriptions/{sub['id']}/redeliver?from_sequence=1&conversation_id=c-5"
        assert (await api.request("POST", again)).status == 202
        await receiver.wait_for(lambda r: any(e["sequence"] == 1 for e in r.first_arrivals("c-5")))
        assert (await api.request("GET", path)).body["given_up"] == []


async def test_an_event_held_back_behind_a_failing_one_gets_its_own_retry_hours(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """Seq 2 waited behind seq 1 for all of seq 1's retry window (here 0.5 s, 24 hours in
    production); its window counted from when it was queued, so one failed try gave it up."""
    chosen = quick(settings, tenants, subscription_retry_hours=0.5 / 3600)
    receiver.plan_by_sequence = {1: ["slow"] * 100, 2: ["500"]}  # seq 1 outlasts its window
    async with serve_service(client, chosen, tenants) as api:
        sub = await subscribe(api, receiver.url, ["conversation.created", "message.received"])
        assert (await api.post_message("c-6", "m-1", TEXT)).status == 201

        async def second_settled() -> list[dict] | None:
            tried = [a for a in await attempts(api, sub["id"]) if a["sequence"] == 2]
            return tried if any(a["next_retry_at"] is None for a in tried) else None

        tried = await until(second_settled, "seq 2 delivered or given up")
        assert [a["status_code"] for a in sorted(tried, key=lambda a: a["attempt"])] == [500, 204]


async def test_a_receiver_that_hangs_holds_its_tenant_s_share_of_the_sends_only(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """Acme's receiver answers nothing until its long timeout; globex's events still arrive at once,
    and acme's hanging receiver is sent the tenant's share of the sends, not every slot, however many
    subscriptions acme points at it (a share per subscription let two of them take every slot)."""
    chosen = quick(
        settings,
        tenants,
        subscription_private_tenants=f"{tenants['acme']},{tenants['globex']}",
        subscription_timeout_seconds=120,  # far longer than the test waits: only a free slot helps
        subscription_concurrency=4,
        subscription_concurrency_per_tenant=2,
    )
    receiver.plan = ["slow"] * 100
    other = EventReceiver()
    await other.start()
    try:
        async with serve_service(client, chosen, tenants) as api:
            await subscribe(api, receiver.url, ["conversation.created"])
            await subscribe(api, receiver.url + "?copy=2", ["conversation.created"])
            await subscribe(api, other.url, ["conversation.created"], tenant="globex")
            for n in range(6):  # more conversations than the worker's sends
                assert (await api.post_message(f"hang-{n}", f"m-{n}", wait=None)).status == 201
            await receiver.wait_for(lambda r: len(r.received) >= 2)
            assert (await api.post_message("c-glob", "g-1", tenant="globex", wait=None)).status == 201
            await other.wait_for(lambda r: [e["conversation_id"] for e in r.events()] == ["c-glob"])
            assert len(receiver.received) == 2  # still hanging, and no more of them sent
            receiver.plan = []
            await receiver.close()  # the hanging answers come; the rest of acme's events follow
            await receiver.start()
            # every event to both subscriptions (an event's id is the same for each)
            await receiver.wait_for(
                lambda r: len({e["id"] for e in r.events()}) == 6 and len(r.received) >= 12
            )
    finally:
        await other.close()


async def test_delivery_refuses_a_private_address_once_the_tenant_may_no_longer_use_one(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    permitted = quick(settings, tenants)
    revoked = quick(settings, tenants, subscription_private_tenants="")
    async with serve_api(client, permitted, tenants) as api:
        sub = await subscribe(api, receiver.url, ["conversation.created"])
        async with build_worker(client, revoked):
            assert (await api.post_message("c-7", "m-1")).status == 201

            async def refused() -> list[dict]:
                return [
                    a
                    for a in await attempts(api, sub["id"])
                    if (a["error"] or "").startswith("address refused")
                ]

            await until(refused, "the delivery refused at send time")
        await replay_every_run(client, settings.task_queue)
    assert receiver.received == []


def writer_of(database: AsyncEngine) -> HandledRecordActivities:
    """The worker's own writer of a flush's facts and events, on `database` (a test wraps it)."""
    return HandledRecordActivities(
        KpiFactActivities(KpiFactStore(database)),
        ConversationEventActivities(EventDeliveries(database)),
        database,
    )


async def refuse_kpi_facts(database: AsyncEngine) -> None:
    """The database refuses every new KPI fact (a trigger), as a full disk or a broken table would,
    while every other table takes writes."""
    async with database.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.exec_driver_sql(
                "CREATE FUNCTION kpi_facts_down() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'kpi_facts unavailable'; END $$ LANGUAGE plpgsql"
            )
            await connection.exec_driver_sql(
                "CREATE TRIGGER kpi_facts_down BEFORE INSERT ON kpi_facts "
                "FOR EACH ROW EXECUTE FUNCTION kpi_facts_down()"
            )
        else:
            await connection.exec_driver_sql(
                "CREATE TRIGGER kpi_facts_down BEFORE INSERT ON kpi_facts "
                "BEGIN SELECT RAISE(ABORT, 'kpi_facts unavailable'); END"
            )


async def test_events_the_database_did_not_take_are_sent_again_in_order(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """The events' activity fails (the database down): the conversation goes on, keeps the events,
    and sends them first with its next ones."""
    chosen = quick(settings, tenants)
    database = database_of(chosen)
    real = writer_of(database)
    down = asyncio.Event()
    down.set()

    @activity.defn(name=RECORD_HANDLED)
    async def record_handled(records: HandledRecords) -> RecordedCounts:
        if down.is_set():
            raise RuntimeError("database unavailable")
        return await real.record_handled(records)

    try:
        async with (
            build_worker(client, chosen, replace=[record_handled]),
            serve_api(client, chosen, tenants) as api,
        ):
            sub = await subscribe(api, receiver.url, ["conversation.created", "message.received"])
            assert (await api.post_message("c-3", "m-1", TEXT)).status == 201  # not stopped by it
            queue = (await api.request("GET", f"/v1/subscriptions/{sub['id']}")).body["queue"]
            assert sum(queue.values()) == 0  # the handler flushed before answering: nothing queued
            down.clear()
            assert (await api.post_message("c-3", "m-2")).status == 200
            await receiver.wait_for(lambda r: len(r.first_arrivals("c-3")) == 3)
            arrived = receiver.first_arrivals("c-3")
            assert [(e["sequence"], e["type"], e["data"].get("message_id")) for e in arrived] == [
                (1, "conversation.created", "m-1"),
                (2, "message.received", "m-1"),
                (3, "message.received", "m-2"),
            ]
        await replay_every_run(client, chosen.task_queue)
    finally:
        await database.dispose()


async def test_events_the_database_did_not_take_survive_the_start_of_a_new_thread(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """The database refuses the first thread's events until the customer writes again after the
    close: the new thread sends them first, so the subscriber still gets every event in order."""
    chosen = quick(settings, tenants)
    database = database_of(chosen)
    real = writer_of(database)

    @activity.defn(name=RECORD_HANDLED)
    async def record_handled(records: HandledRecords) -> RecordedCounts:
        if records.events and all(event.thread == 1 for event in records.events):  # down until thread 2
            raise RuntimeError("database unavailable")
        return await real.record_handled(records)

    events = ["conversation.created", "message.received", "status.changed"]
    try:
        async with (
            build_worker(client, chosen, replace=[record_handled]),
            serve_api(client, chosen, tenants) as api,
        ):
            await subscribe(api, receiver.url, events)
            assert (await api.post_message("c-4", "m-1", TEXT)).status == 201
            closed = await api.request("POST", "/v1/conversations/c-4/status", json={"status": "closed"})
            assert closed.status == 200, closed.body
            again = await api.post_message("c-4", "m-2", "Hello again")
            assert again.status == 200 and again.body["thread"] == 2, again.body

            def second_thread_arrived(r: EventReceiver) -> bool:
                return ("message.received", "m-2") in [
                    (e["type"], e["data"].get("message_id")) for e in r.first_arrivals("c-4")
                ]

            await receiver.wait_for(second_thread_arrived)
            arrived = receiver.first_arrivals("c-4")
            assert [(e["type"], e["data"].get("message_id"), e["data"].get("to")) for e in arrived] == [
                ("conversation.created", "m-1", None),
                ("message.received", "m-1", None),
                ("status.changed", None, "closed"),
                ("conversation.created", "m-2", None),  # each thread begins with its own
                ("message.received", "m-2", None),
            ], "the first thread's events were lost when the second began"
            sequences = [e["sequence"] for e in arrived]
            assert sequences == sorted(sequences)
        await replay_every_run(client, chosen.task_queue)
    finally:
        await database.dispose()


async def test_events_go_out_when_the_kpi_facts_cannot_be_written(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    receiver: EventReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The facts and events of a flush share one local activity: a failure of the facts is logged (by
    type, without content) and leaves them to `kpi rebuild`, while the events are queued and delivered
    at once, not held back or retried for it."""
    caplog.set_level(logging.WARNING)
    chosen = quick(settings, tenants)
    database = database_of(chosen)
    try:
        async with build_worker(client, chosen), serve_api(client, chosen, tenants) as api:
            await subscribe(api, receiver.url, ["conversation.created", "message.received"])
            await refuse_kpi_facts(database)
            assert (await api.post_message("c-5", "m-1", TEXT)).status == 201
            await receiver.wait_for(lambda r: len(r.first_arrivals("c-5")) == 2)
            state = (await api.get("c-5")).body
            messages = [r.getMessage() for r in caplog.records]
            assert any("KPI facts not written" in m for m in messages), messages
            assert not any("subscription events not queued" in m for m in messages), messages
            assert not any(TEXT in m for m in messages)
            assert state["status"] == "open", state
        assert await KpiFactStore(database).facts(tenants["acme"]) == []
        await replay_every_run(client, chosen.task_queue)
    finally:
        await database.dispose()


async def test_every_event_type_the_service_sends_can_be_subscribed_to(api: ApiClient) -> None:
    # README listed `message.bounced` as an event subscriptions take, and the service sent it, but the
    # API's list of types lacked it: subscribing answered 422.
    reply = await api.request(
        "POST",
        "/v1/subscriptions",
        json={"url": "https://93.184.215.14/events", "events": list(EVENT_TYPES)},
    )
    assert reply.status == 201, reply.body
    assert reply.body["events"] == list(EVENT_TYPES)
    unknown = await api.request(
        "POST",
        "/v1/subscriptions",
        json={"url": "https://93.184.215.14/events", "events": ["message.teleported"]},
    )
    assert unknown.status == 422 and [f["field"] for f in unknown.body["fields"]] == ["events.0"], (
        unknown.body
    )


async def test_a_timer_s_close_is_told_apart_from_a_person_s(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """The auto-close of a pending conversation reached subscribers as a `status.changed` like an
    agent's close: a helpdesk could not tell "the customer never answered" from "we closed it"."""
    publish(settings, TEST_PACKS / "timers")  # pending closes itself after 1.8 s
    chosen = quick(settings, tenants)
    async with serve_service(client, chosen, tenants) as api:
        await subscribe(api, receiver.url, events=["status.changed"])
        assert (await api.post_message("tm-1", "tm-m1", TEXT)).status == 201
        pending = await api.request("POST", "/v1/conversations/tm-1/status", json={"status": "pending"})
        assert pending.status == 200, pending.body
        await receiver.wait_for(lambda r: len(r.first_arrivals("tm-1")) == 2)
    by_person, by_timer = receiver.first_arrivals("tm-1")
    assert by_person["data"]["to"] == "pending" and "timer" not in by_person["data"], by_person
    assert by_timer["data"]["to"] == "closed" and by_timer["data"]["timer"] is True, by_timer


async def test_a_person_s_status_change_and_unassignment_name_their_actor(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """The API's caller names who closed a conversation or took its agent off (`actor`): the trail's
    note said it, the event did not, so an integrator's CRM showed every close as nobody's."""
    chosen = quick(settings, tenants)
    async with serve_service(client, chosen, tenants) as api:
        events = ["status.changed", "conversation.assigned", "conversation.unassigned"]
        await subscribe(api, receiver.url, events=events)
        assert (await api.post_message("ac-1", "ac-m1", TEXT)).status == 201
        pending = await api.request("POST", "/v1/conversations/ac-1/status", json={"status": "pending"})
        assert pending.status == 200, pending.body
        body = {"status": "solved", "actor": "ana"}
        solved = await api.request("POST", "/v1/conversations/ac-1/status", json=body)
        assert solved.status == 200, solved.body
        assignment = {"agent_id": "ben", "actor": "lead-li"}  # refused as an unknown field (helper-118)
        taken = await api.request("POST", "/v1/conversations/ac-1/assignment", json=assignment)
        assert taken.status == 200, taken.body
        released = await api.request("POST", "/v1/conversations/ac-1/unassignment", json={"actor": "lead-li"})
        assert released.status == 200, released.body
        document = (await api.request("GET", "/v1/openapi.json", tenant=None)).body
        await receiver.wait_for(lambda r: len(r.first_arrivals("ac-1")) == 4)
        decisions = (await api.request("GET", "/v1/conversations/ac-1/decisions")).body
    unnamed, by_ana, assigned, by_lead = receiver.first_arrivals("ac-1")
    assert assigned["type"] == "conversation.assigned" and assigned["data"]["actor"] == "lead-li", assigned
    notes = [e.get("note") or "" for e in decisions["decisions"] if e["event"] == "conversation.assigned"]
    assert any("by lead-li" in note for note in notes), notes
    assert unnamed["data"]["to"] == "pending" and "actor" not in unnamed["data"], unnamed
    assert by_ana["data"]["to"] == "solved" and by_ana["data"]["actor"] == "ana", by_ana
    assert by_lead["type"] == "conversation.unassigned" and by_lead["data"]["actor"] == "lead-li", by_lead
    # As the published schema says (it forbade `actor`: a strict receiver refused these events, and a
    # generated client's model dropped the name).
    described = {"$ref": "#/components/schemas/DeliveredEvent", "components": document["components"]}
    for event in (unnamed, by_ana, assigned, by_lead):
        jsonschema.validate(event, described, cls=jsonschema.Draft202012Validator)
        assert DeliveredEvent.model_validate(event).data.actor == event["data"].get("actor")


def test_every_field_an_event_s_data_takes_is_in_its_schema() -> None:
    """The fields copied into an event's `data` and the model the OpenAPI document publishes for it
    are two lists: `actor` was in the first only."""
    published = {field.alias or name for name, field in EventData.model_fields.items()}
    assert set(DATA_FIELDS) <= published, set(DATA_FIELDS) - published


async def bounce_of(api: ApiClient, chosen: Settings, tenant: str, conversation: str, text: str) -> Reply:
    """A mail server's delivery report (DSN) of our reply `text`, posted as the mail gateway would."""
    [sent] = [r for r in OutboxRows(chosen).read_all(tenant) if r["text"] == text]
    ours = f"<{conversation}.{key_digest(sent['idempotency_key'])}@{domain_of(chosen.email_from)}>"
    report = (DATA / "dsn-of-our-reply.eml").read_bytes()
    report = report.replace(b"<bounced-1.0123456789abcdef01234567@convoflow.local>", ours.encode())
    report = report.replace(b"support@convoflow.local", chosen.email_from.encode())
    return await api.request(
        "POST", "/v1/inbound/email", data=report, headers={"Content-Type": "message/rfc822"}
    )


async def test_a_bounce_after_the_close_is_recorded_and_told_not_refused(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """A bounce of the last reply (or the survey) often comes after the close: it was refused with
    409, the mail gateway's report lost, and the integrator never learned the address is dead."""
    chosen = quick(settings, tenants)
    async with serve_service(client, chosen, tenants) as api:
        await subscribe(api, receiver.url, events=["message.bounced"])
        assert (await api.post_message("bn-2", "bn-m1", TEXT)).status == 201
        reply = {"agent_id": "ana", "text": "Your refund is on its way", "message_id": "er-9"}
        assert (await api.request("POST", "/v1/conversations/bn-2/replies", json=reply)).status == 200
        closed = await api.request("POST", "/v1/conversations/bn-2/status", json={"status": "closed"})
        assert closed.status == 200, closed.body
        posted = await bounce_of(api, chosen, tenants["acme"], "bn-2", reply["text"])
        assert posted.status == 200 and posted.body["conversation_id"] == "bn-2", posted.body
        await receiver.wait_for(lambda r: len(r.first_arrivals("bn-2")) == 1)
        shown = (await api.get("bn-2")).body
        assert shown["status"] == "closed" and shown["thread"] == 1, shown
    [bounced] = receiver.first_arrivals("bn-2")
    assert bounced["type"] == "message.bounced" and bounced["data"]["message_id"] == "er-9", bounced
    await replay_every_run(client, chosen.task_queue)


async def test_a_bounce_of_an_agent_s_reply_names_the_reply(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """`message.bounced` said the code (5.1.1) but not which message bounced, while a reply refused
    at once (`message.delivery_failed`) named it: with two replies out, an integrator could not mark
    the right one."""
    chosen = quick(settings, tenants)
    async with serve_service(client, chosen, tenants) as api:
        await subscribe(api, receiver.url, events=["message.bounced"])
        assert (await api.post_message("bn-1", "bn-m1", TEXT)).status == 201
        for reply_id in ("er-1", "er-2"):
            reply = {"agent_id": "ana", "text": f"Reply {reply_id}", "message_id": reply_id}
            assert (await api.request("POST", "/v1/conversations/bn-1/replies", json=reply)).status == 200
        posted = await bounce_of(api, chosen, tenants["acme"], "bn-1", "Reply er-1")
        assert posted.status == 200 and posted.body["conversation_id"] == "bn-1", posted.body
        await receiver.wait_for(lambda r: len(r.first_arrivals("bn-1")) == 1)
    [bounced] = receiver.first_arrivals("bn-1")
    assert bounced["type"] == "message.bounced"
    assert bounced["data"]["message_id"] == "er-1" and bounced["data"]["bounce"] == "5.1.1", bounced
    await replay_every_run(client, chosen.task_queue)


async def test_a_subscription_paused_keeps_its_events_and_one_changed_keeps_its_secret_and_sequences(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """A receiver's maintenance had two ways out: let every event fail into `failing`, or delete the
    subscription and make it again, with a new secret and every sequence from 1 (helper-117)."""
    chosen = quick(settings, tenants)
    moved = EventReceiver()
    await moved.start()
    try:
        async with serve_service(client, chosen, tenants) as api:
            witness = await subscribe(api, receiver.url)
            held = await subscribe(api, receiver.url)
            path = f"/v1/subscriptions/{held['id']}"
            paused = await api.request("PATCH", path, json={"paused": True})
            assert paused.status == 200 and paused.body["paused"] is True, paused.body
            assert paused.body["paused_at"] is not None
            await drive(api, "p-1", "p")
            # The witness's events, queued with the paused one's, all arrived: the paused ones would have.
            await receiver.wait_for(
                lambda r: len([e for e in r.events() if e["subscription_id"] == witness["id"]]) == 5
            )
            assert not [e for e in receiver.events() if e["subscription_id"] == held["id"]]
            queued = (await api.request("GET", path)).body["queue"]
            assert queued["pending"] == 5, queued

            for wrong, field in (
                ({"url": "ftp://x"}, "url"),
                ({"events": []}, "events"),
                ({"id": "x"}, "id"),
                ({"description": None}, "description"),  # `null` changed nothing and answered 200
            ):
                refused = await api.request("PATCH", path, json=wrong)
                assert refused.status == 422 and refused.body["fields"][0]["field"] == field, refused.body
            theirs = await api.request("PATCH", path, json={"paused": False}, tenant="globex")
            assert theirs.status == 404, theirs.body
            change = {"url": moved.url, "description": "after the move", "paused": False}
            resumed = await api.request("PATCH", path, json=change)
            assert resumed.status == 200 and resumed.body["paused"] is False, resumed.body
            assert resumed.body["id"] == held["id"] and resumed.body["url"] == moved.url
            assert "secret" not in resumed.body
            await moved.wait_for(lambda r: len(r.first_arrivals("p-1")) == 5)
        arrived = moved.first_arrivals("p-1")
        assert [e["type"] for e in arrived] == EXPECTED and [e["sequence"] for e in arrived] == [
            1,
            2,
            3,
            4,
            5,
        ]
        for request in moved.received:  # signed with the secret given when it was made
            assert standard_webhooks_verify(held["secret"], request.headers, request.body)
    finally:
        await moved.close()


async def test_a_long_pause_does_not_use_up_the_retry_window_of_events_that_failed_before_it(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """The window counts from an event's first attempt: events failing when the integrator paused
    for a maintenance longer than it were given up at their first attempt after the resume, and
    the subscription turned failing (helper-119). Resumed, each has its whole window again."""
    chosen = quick(settings, tenants, subscription_retry_hours=1.0)
    async with serve_service(client, chosen, tenants) as api:
        sub = await subscribe(api, receiver.url, events=["conversation.created"])
        await receiver.stop()  # down: connections refused
        assert (await api.post_message("lp-1", "lp-m1", TEXT)).status == 201
        await until(lambda: _unreachable(api, sub["id"]), "an attempt while the receiver is down")
        path = f"/v1/subscriptions/{sub['id']}"
        assert (await api.request("PATCH", path, json={"paused": True})).status == 200
        database = database_of(chosen)
        try:  # the maintenance took two hours: past the event's window counted from its first try
            async with database.begin() as db:
                two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
                await db.execute(update(event_deliveries).values(window_starts_at=two_hours_ago))
        finally:
            await database.dispose()
        tried = len(await attempts(api, sub["id"]))
        assert (await api.request("PATCH", path, json={"paused": False})).status == 200
        # Still down: the next attempt fails, and the event waits for its next retry, not given up.
        await until(lambda: _more_attempts(api, sub["id"], tried), "an attempt after the resume", within=20)
        assert (await api.request("GET", f"{path}/given-up")).body["given_up"] == []
        shown = (await api.request("GET", path)).body
        assert shown["state"] == "active" and shown["queue"]["pending"] == 1, shown


async def _more_attempts(api: ApiClient, sub_id: str, than: int) -> bool:
    return len(await attempts(api, sub_id)) > than


async def test_a_subscription_s_new_url_gets_what_waited_for_a_retry_at_once(
    client: Client, settings: Settings, tenants: dict[str, str], receiver: EventReceiver
) -> None:
    """A receiver mended at a new URL waited for the failing event's next retry, an hour at worst
    (helper-120): the queued events go there at once."""
    chosen = quick(
        settings, tenants, subscription_retry_first_seconds=3600.0, subscription_retry_max_seconds=3600.0
    )
    mended = EventReceiver()
    await mended.start()
    try:
        async with serve_service(client, chosen, tenants) as api:
            sub = await subscribe(api, receiver.url, events=["conversation.created"])
            receiver.plan = ["500"]
            assert (await api.post_message("nu-1", "nu-m1", TEXT)).status == 201
            await receiver.wait_for(lambda r: len(r.received) == 1)  # failed: next try in an hour
            moved = await api.request("PATCH", f"/v1/subscriptions/{sub['id']}", json={"url": mended.url})
            assert moved.status == 200, moved.body
            await mended.wait_for(lambda r: len(r.first_arrivals("nu-1")) == 1)
    finally:
        await mended.close()
