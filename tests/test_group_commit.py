"""Group commit (engine/db/group_commit.py): many conversations' records written at once share
transactions, on SQLite and a real PostgreSQL, and each caller still gets its own answer: its own
count of new rows, its own duplicate verdict, its own error."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.conversation_events import ConversationEventActivities
from activities.delivery_ledger import ClaimHeld, DeliveryLedger
from activities.kpi_facts import KpiFactActivities
from activities.outbox import Outbox
from engine.contracts.events import ConversationEvent, EventBatch
from engine.contracts.kpi import KpiFact, KpiFactBatch
from engine.contracts.records import HandledRecords
from engine.db.event_deliveries import EventDeliveries
from engine.db.group_commit import GroupCommit
from engine.db.keys import create_tenant
from engine.db.kpi_facts import KpiFactStore
from engine.db.outbox_mirror import read_mirror
from engine.db.schema import event_deliveries
from engine.db.subscriptions import Subscriptions
from tests.test_delivery_store import message
from tests.test_event_subscriptions import writer_of

START = datetime(2026, 12, 1, 9, tzinfo=UTC)
CONVERSATIONS = 20


def commits(engine: AsyncEngine) -> list[int]:
    """Counts the engine's committed transactions from now on (one element per commit)."""
    seen: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _connection: seen.append(1))
    return seen


def facts(conversation: int, count: int) -> KpiFactBatch:
    return KpiFactBatch(
        facts=[
            KpiFact(
                tenant="acme",
                conversation_id=f"c-{conversation}",
                life_id="life",
                thread=1,
                seq=seq,
                part=0,
                kind="customer_message",
                at=START + timedelta(minutes=seq),
            )
            for seq in range(1, count + 1)
        ]
    )


async def test_concurrent_conversations_facts_share_transactions_and_keep_their_own_counts(
    database: AsyncEngine,
) -> None:
    """Twenty conversations flush at once: fewer transactions than callers, every fact stored, and
    each caller told how many of *its* facts were new (a retry of half of them: only the rest)."""
    writer = KpiFactActivities(KpiFactStore(database))
    committed = commits(database)
    counts = await asyncio.gather(
        *(writer.record_kpi_facts(facts(c, c % 4 + 1)) for c in range(CONVERSATIONS))
    )
    assert counts == [c % 4 + 1 for c in range(CONVERSATIONS)]
    assert len(committed) < CONVERSATIONS / 2

    again = await asyncio.gather(
        *(writer.record_kpi_facts(facts(c, c % 4 + 2)) for c in range(0, CONVERSATIONS, 2))
    )
    assert again == [1] * (CONVERSATIONS // 2)  # one more fact each; the ones already there count 0
    stored = await KpiFactStore(database).keys("acme")
    expected = {(f"c-{c}", "life", seq, 0) for c in range(CONVERSATIONS) for seq in range(1, c % 4 + 2)}
    expected |= {(f"c-{c}", "life", c % 4 + 2, 0) for c in range(0, CONVERSATIONS, 2)}
    assert stored == expected


def conversation_events(conversation: int, count: int) -> EventBatch:
    return EventBatch(
        events=[
            ConversationEvent(
                tenant="acme",
                conversation_id=f"c-{conversation}",
                event_id=f"wf-{conversation}:life:{seq}",
                type="conversation.message_received",
                trail_seq=seq,
                thread=1,
                occurred_at=START + timedelta(minutes=seq),
            )
            for seq in range(1, count + 1)
        ]
    )


async def test_concurrent_conversations_events_are_numbered_per_conversation_without_gaps(
    database: AsyncEngine,
) -> None:
    """Events gathered from many conversations into one write still number 1, 2, 3... per
    (subscription, conversation), in each conversation's order, each queued once per subscription
    that wants it, even when a conversation sends the same events twice at once."""
    await create_tenant(database, "acme")
    subscriptions = Subscriptions(database)
    wanted = await subscriptions.create(
        "acme",
        url="https://hooks.example/a",
        events=["conversation.message_received"],
        description="",
        allow_private=False,
    )
    await subscriptions.create(
        "acme",
        url="https://hooks.example/b",
        events=["conversation.closed"],
        description="",
        allow_private=False,
    )
    writer = ConversationEventActivities(EventDeliveries(database))
    committed = commits(database)
    batches = [conversation_events(c, c % 3 + 1) for c in range(CONVERSATIONS)]
    counts = await asyncio.gather(*(writer.record_events(b) for b in [*batches, batches[5]]))
    assert counts[:-1] == [c % 3 + 1 for c in range(CONVERSATIONS)]
    assert counts[-1] == 0  # the same events again: queued once
    assert len(committed) < CONVERSATIONS / 2

    d = event_deliveries.c
    async with database.connect() as connection:
        rows = (
            await connection.execute(
                select(d.subscription_id, d.conversation_id, d.sequence, d.event_id).order_by(
                    d.conversation_id, d.sequence
                )
            )
        ).all()
    assert {row.subscription_id for row in rows} == {wanted.subscription_id}
    for c in range(CONVERSATIONS):
        mine = [(row.sequence, row.event_id) for row in rows if row.conversation_id == f"c-{c}"]
        assert mine == [(seq, f"wf-{c}:life:{seq}") for seq in range(1, c % 3 + 2)]


async def test_a_flush_writes_its_events_and_facts_in_one_transaction_with_other_conversations(
    database: AsyncEngine,
) -> None:
    """`record_handled` of many conversations at once: each told its own counts of facts and
    deliveries, all of them written, in fewer transactions than conversations (one each for events
    and facts before)."""
    await create_tenant(database, "acme")
    await Subscriptions(database).create(
        "acme",
        url="https://hooks.example/a",
        events=["conversation.message_received"],
        description="",
        allow_private=False,
    )
    writer = writer_of(database)
    committed = commits(database)
    counts = await asyncio.gather(
        *(
            writer.record_handled(
                HandledRecords(
                    events=conversation_events(c, c % 3 + 1).events, facts=facts(c, c % 4 + 1).facts
                )
            )
            for c in range(CONVERSATIONS)
        )
    )
    assert [(r.deliveries, r.facts, r.facts_error) for r in counts] == [
        (c % 3 + 1, c % 4 + 1, None) for c in range(CONVERSATIONS)
    ]
    assert len(committed) < CONVERSATIONS / 2
    assert len(await KpiFactStore(database).keys("acme")) == sum(c % 4 + 1 for c in range(CONVERSATIONS))


async def test_the_outbox_gathers_sends_and_delivers_each_key_once(
    database: AsyncEngine, tmp_path: Path
) -> None:
    """Sends gathered into one insert: each key delivered once (the first caller with it), the
    mirror holds each once, and the repeats report a duplicate."""
    mirror = tmp_path / "outbox.jsonl"
    outbox = Outbox(database, mirror)
    keys = [f"wf-{n}:life:1" for n in range(CONVERSATIONS)]
    results = await asyncio.gather(*(outbox.deliver(message(k)) for k in [*keys, keys[0], keys[7]]))
    assert [r.delivered for r in results] == [True] * CONVERSATIONS + [False, False]
    assert sorted(line["idempotency_key"] for line in (await outbox.read_all())) == sorted(keys)
    assert sorted(line["idempotency_key"] for line in read_mirror(mirror)) == sorted(keys)


async def test_concurrent_sends_claim_and_settle_together_each_with_its_own_verdict(
    database: AsyncEngine,
) -> None:
    """The delivery ledger gathers claims and settles: every new key is claimed once (a key asked
    twice at once: the second asker is told another attempt holds it), settled keys are duplicates
    from then on, and the whole round took fewer transactions than sends."""
    ledger = DeliveryLedger(database)
    keys = [f"wf-{n}:life:1" for n in range(CONVERSATIONS)]
    committed = commits(database)
    verdicts = await asyncio.gather(
        *(ledger.claim(k, "acme", "gateway") for k in [*keys, keys[3]]), return_exceptions=True
    )
    assert verdicts[:-1] == [True] * CONVERSATIONS
    assert isinstance(verdicts[-1], ClaimHeld)
    await asyncio.gather(*(ledger.settle(k) for k in keys))
    assert len(committed) < CONVERSATIONS
    assert {await ledger.state(k) for k in keys} == {"delivered"}
    again = await asyncio.gather(*(ledger.claim(k, "acme", "gateway") for k in keys))
    assert again == [False] * CONVERSATIONS


async def test_a_caller_whose_write_fails_fails_alone() -> None:
    """A gathered write that fails is written again caller by caller: the bad item's caller gets
    its error, the others their results."""
    written: list[list[int]] = []

    async def write_many(items: Any) -> list[int]:
        written.append(list(items))
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return [i * 10 for i in items]

    async def write_one(item: int) -> int:
        return (await write_many([item]))[0]

    group = GroupCommit(write_many, write_one)
    outcomes = await asyncio.gather(*(group.write(i) for i in [1, 2, -3, 4]), return_exceptions=True)
    assert outcomes[:2] == [10, 20] and outcomes[3] == 40
    assert isinstance(outcomes[2], ValueError)
    assert written == [[1, 2, -3, 4], [1], [2], [-3], [4]]  # gathered, then one by one


async def test_callers_are_not_left_waiting_when_the_writer_stops() -> None:
    """The worker shutting down cancels the gathered write: its callers are cancelled too, never
    left waiting for an answer that will not come."""
    started = asyncio.Event()

    async def write_many(items: Any) -> list[int]:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("never reached")

    group = GroupCommit(write_many, lambda item: write_many([item]))
    callers = [asyncio.create_task(group.write(i)) for i in range(3)]
    await started.wait()
    writer = group._writer
    assert writer is not None
    writer.cancel()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)
