"""Delivery ledger and outbox in the control-plane database, on SQLite and a real PostgreSQL: the
unique key decides which of several racing workers sends, and nothing is sent or written twice."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.testing import ActivityEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput

from activities.channels import ChannelActivities
from activities.delivery_ledger import ClaimHeld, DeliveryLedger, LedgerUnavailable
from activities.outbox import Outbox
from activities.webhook_gateway import WebhookGateway
from engine.contracts.outbound import OutboundMessage
from engine.db.connection import open_engine, upgrade
from engine.db.outbox_mirror import read_mirror
from engine.service.activity_metrics import MetricsInterceptor, channel_failed, recovering
from tests.databases import start_postgres
from tests.local_servers import FakeGateway, serve_gateway
from tests.polling import eventually

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[list[AsyncEngine]]:
    """Two engines (two worker processes' pools) on one migrated database."""
    first, second = open_engine(database_url), open_engine(database_url)
    await upgrade(first)
    yield [first, second]
    await asyncio.gather(first.dispose(), second.dispose())


def message(key: str = "wf-1:3:0", channel: str = "chat") -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        conversation_id="conversation:acme:c-1",
        tenant="acme",
        channel=channel,
        to="+15550100",
        kind="auto_reply",
        text="Hello",
    )


async def test_two_workers_racing_on_one_key_send_once(engines: list[AsyncEngine]) -> None:
    """Both deliver_message activities run at once; the gateway holds the first send until both have
    decided, so the loser cannot have seen a settled row: the claim alone decides. The loser does
    not send and does not call it a duplicate yet (the holder might die before sending): it fails
    retryably, and its retry after the holder settled is the duplicate."""
    gateway = FakeGateway(hold=asyncio.Event())
    async with serve_gateway(gateway):
        workers = [
            ChannelActivities(
                Outbox(engine), DeliveryLedger(engine), gateway=WebhookGateway(gateway.url, SECRET)
            )
            for engine in engines
        ]
        try:
            env = ActivityEnvironment()
            racing = [asyncio.create_task(env.run(w.deliver_message, message())) for w in workers]
            done, pending = await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
            (loser,) = done
            assert isinstance(loser.exception(), ClaimHeld)
            await gateway.arrived.wait()
            gateway.hold.set()
            (winner,) = await asyncio.gather(*pending)
            retried = await env.run(workers[racing.index(loser)].deliver_message, message())
        finally:
            await asyncio.gather(*(w.close() for w in workers))
    assert (winner.delivered, retried.delivered) == (True, False)
    assert len(gateway.requests) == 1
    assert await DeliveryLedger(engines[0]).state(message().idempotency_key) == "delivered"


async def test_a_failed_send_gives_its_claim_back_for_the_retry(engines: list[AsyncEngine]) -> None:
    gateway = FakeGateway(statuses=[400])
    async with serve_gateway(gateway):
        worker = ChannelActivities(
            Outbox(engines[0]), DeliveryLedger(engines[0]), gateway=WebhookGateway(gateway.url, SECRET)
        )
        try:
            env = ActivityEnvironment()
            with pytest.raises(Exception):  # noqa: B017 - whichever error the gateway client raises
                await env.run(worker.deliver_message, message())
            assert await DeliveryLedger(engines[0]).state(message().idempotency_key) is None
            assert (await env.run(worker.deliver_message, message())).delivered
        finally:
            await worker.close()
    assert len(gateway.requests) == 2 and list(gateway.accepted) == [message().idempotency_key]


async def test_a_claim_left_by_a_dead_worker_is_taken_over_after_the_lease(
    engines: list[AsyncEngine],
) -> None:
    """Claimed, then the worker died before sending: within the lease the key is someone's; past it,
    the retry sends again with the same key (the far side dedups) rather than losing the message."""
    key = message().idempotency_key
    assert await DeliveryLedger(engines[0]).claim(key, "acme", "gateway")
    with pytest.raises(ClaimHeld):  # not a duplicate yet: its holder may have died before sending
        await DeliveryLedger(engines[1]).claim(key, "acme", "gateway")
    expired = DeliveryLedger(engines[1], lease=timedelta(0))
    assert await expired.claim(key, "acme", "gateway")
    await expired.settle(key)
    assert not await expired.claim(key, "acme", "gateway")  # a delivered key is never taken over


async def test_the_outbox_keeps_one_row_per_key_and_mirrors_it(
    engines: list[AsyncEngine], tmp_path: Path
) -> None:
    mirror = tmp_path / "outbox.jsonl"
    outboxes = [Outbox(engine, mirror) for engine in engines]
    first = await asyncio.gather(*(o.deliver(message("k-1", "email")) for o in outboxes for _ in range(3)))
    assert sorted(r.delivered for r in first) == [False] * 5 + [True]
    await outboxes[1].deliver(message("k-2", "email"))
    rows = await outboxes[0].read_all()
    assert [r["idempotency_key"] for r in rows] == ["k-1", "k-2"]
    assert rows == read_mirror(mirror)
    assert await outboxes[0].read_all(tenant="globex") == []


async def test_a_send_whose_settle_meets_a_database_restart_is_settled_when_it_is_back() -> None:
    """The send went out, then settling it failed on a database going down: the claim was left to
    expire and the activity's retry sent the message again (a PostgreSQL restart sent one
    acknowledgement in twenty twice). The settle now waits for the database, within the lease."""
    cluster = Path(tempfile.mkdtemp(prefix="convoflow-pg-settle-"))
    server = start_postgres(cluster)
    try:
        server.psql("CREATE DATABASE convoflow;")
        engine = open_engine(server.get_uri("convoflow"))
        await upgrade(engine)
        ledger = DeliveryLedger(engine)
        assert await ledger.claim("wf-9:1:0", "acme", "gateway")
        server.cleanup()  # PostgreSQL stops after the send, before its settle

        async def postmaster_gone() -> bool:
            return not (cluster / "postmaster.pid").exists()

        await eventually(postmaster_gone, what="the stopped PostgreSQL's lock file gone", within=30)
        failures: list[BaseException] = []
        event.listen(engine.sync_engine, "handle_error", lambda ctx: failures.append(ctx.original_exception))
        settling = asyncio.create_task(ledger.settle("wf-9:1:0"))

        async def tried_and_failed() -> bool:
            return bool(failures) or settling.done()

        await eventually(tried_and_failed, what="a settle tried on the stopped database", within=30)
        assert not settling.done(), settling.exception()  # it gave up at its first failure
        server = start_postgres(cluster)
        await asyncio.wait_for(settling, timeout=30)
        assert await ledger.state("wf-9:1:0") == "delivered"
        await engine.dispose()
    finally:
        server.cleanup()
        shutil.rmtree(cluster, ignore_errors=True)


async def test_a_ledger_that_does_not_answer_is_not_the_channel_s_failure(
    engines: list[AsyncEngine], tmp_path: Path
) -> None:
    """A database outage counted every delivery attempt as `convoflow_delivery_failures_total` and a
    failed gateway POST, while the gateway answered 200 to everything: an alert on those fired for
    the database; and its error read as a missing local file (a unix socket's FileNotFoundError)."""
    gone = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite'}")
    gateway = FakeGateway(statuses=[400])
    async with serve_gateway(gateway):
        down = ChannelActivities(
            Outbox(gone), DeliveryLedger(gone), gateway=WebhookGateway(gateway.url, SECRET)
        )
        refused = ChannelActivities(
            Outbox(engines[0]), DeliveryLedger(engines[0]), gateway=WebhookGateway(gateway.url, SECRET)
        )
        env = ActivityEnvironment()
        try:
            with pytest.raises(
                LedgerUnavailable, match="delivery ledger's database did not answer"
            ) as ledger:
                await env.run(down.deliver_message, message("k-down"))
            with pytest.raises(Exception) as channel:  # whichever error the gateway client raises
                await env.run(refused.deliver_message, message("k-refused"))
        finally:
            await asyncio.gather(down.close(), refused.close(), gone.dispose())
    assert len(gateway.requests) == 1  # the refused one reached the gateway; the other never left
    assert not channel_failed(ledger.value) and channel_failed(channel.value)
    held = DeliveryLedger(engines[0])
    assert await held.claim("k-held", "acme", "gateway")
    with pytest.raises(ClaimHeld) as waiting:
        await DeliveryLedger(engines[1]).claim("k-held", "acme", "gateway")
    assert not channel_failed(waiting.value)


async def test_a_database_outage_fails_attempts_quietly_and_without_the_sql() -> None:
    """During a database restart the SDK logged every failed attempt with a full traceback at
    WARNING (9,212 lines in 15 s from two workers), and a database error's text quotes its SQL and
    parameters. Expected while recovering, it is reported BENIGN (one line), its text fixed."""

    class Down(ActivityInboundInterceptor):
        def __init__(self, exc: BaseException) -> None:
            self.exc = exc

        async def execute_activity(self, input: ExecuteActivityInput) -> Any:
            raise self.exc

    sql = OperationalError("UPDATE outbox SET text=?", ("Hello Ada, ada@example.com",), OSError("gone"))
    for raised, kind in ((sql, "OperationalError"), (ClaimHeld(), "ClaimHeld")):
        measured = MetricsInterceptor(lambda m: "gateway").intercept_activity(Down(raised))
        attempt = ExecuteActivityInput(fn=lambda: None, args=[message()], executor=None, headers={})
        with pytest.raises(ApplicationError) as failed:
            await ActivityEnvironment().run(measured.execute_activity, attempt)
        assert failed.value.type == kind and failed.value.category == ApplicationErrorCategory.BENIGN
        assert "ada" not in str(failed.value) and failed.value.__cause__ is None
    assert recovering(ValueError("a bug")) is None  # anything else keeps its traceback
