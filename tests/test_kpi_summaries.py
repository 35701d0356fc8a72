"""KPI reports read through the per-thread summaries equal reports computed from every fact (issue 18),
on SQLite and PostgreSQL: after facts arrive late (stale summaries refreshed), a reopen, a second
thread, a rebuild that drops a thread, a calendar published after the first report, ranges that cut
threads in two, and two tenants whose conversations share ids.

Facts come from trail entries through the workflow's own `facts_of`; the reference is
`kpi_report_from_facts` (every fact before the range's end, measured anew: the report as it was
before summaries). The kpi test pack's office calendar is open Monday to Friday 09:00-17:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.contracts.conversation import DecisionEntry, ExecutedAction
from engine.contracts.kpi import KpiFact
from engine.db.kpi_facts import KpiFactStore
from engine.db.kpi_threads import KpiThreadStore
from engine.db.packs import PackStore
from engine.kpis import summary
from engine.kpis.facts import facts_of
from engine.kpis.query import KpiQuery
from engine.service.kpi_calendars import CalendarBook
from engine.service.kpi_decoded import DecodedThreads
from engine.service.kpis import kpi_report, kpi_report_from_facts
from engine.service.pack_files import load_valid
from tests.conftest import TEST_PACKS

PACK = load_valid(TEST_PACKS / "kpi")


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """Monday 23 November 2026 is day 0."""
    return datetime(2026, 11, 23, hh, mm, tzinfo=UTC) + timedelta(days=day)


def entry(seq: int, event: str, when: datetime, *, thread: int = 1, **view: Any) -> DecisionEntry:
    done = view.pop("done", ())
    return DecisionEntry(
        seq=seq,
        event=event,
        at=when,
        thread=thread,
        note="survey sent" if event == "survey.due" else None,
        executed=[ExecutedAction(index=str(i), action={"type": k}) for i, k in enumerate(done)],
        kpi={"life": "L", "pack": PACK.content_hash, "calendar": "office", "priority": "normal", **view},
    )


def status(seq: int, when: datetime, old: str, new: str, **view: Any) -> DecisionEntry:
    return entry(seq, "status.changed", when, **{"from": old, "to": new}, **view)


ACME = {
    # breached first response, a pause, solved, surveyed, reopened by the customer, solved again
    "k-1": [
        entry(
            1,
            "conversation.created",
            at(0, 8),
            done=("reply", "apply_sla"),
            sender="customer",
            team="billing",
            channel="email",
            assignee="a-1",
            sla={"first_response": 60, "resolution": 480},
        ),
        entry(2, "message.received", at(0, 8), sender="customer", team="billing", channel="email"),
        entry(3, "sla.breached", at(0, 10), target="first_response", team="billing", channel="email"),
        entry(4, "message.sent", at(0, 10, 30), agent="a-1", team="billing", channel="email", assignee="a-1"),
        status(5, at(0, 10, 30), "open", "pending", team="billing", channel="email", assignee="a-1"),
        entry(6, "message.received", at(0, 16, 30), sender="customer", team="billing", channel="email"),
        status(7, at(0, 16, 30), "pending", "open", team="billing", channel="email", assignee="a-1"),
        entry(8, "message.sent", at(1, 9, 30), agent="a-1", team="billing", channel="email", assignee="a-1"),
        status(9, at(1, 11, 30), "open", "solved", team="billing", channel="email", assignee="a-1"),
        entry(10, "survey.due", at(1, 12, 30), team="billing", channel="email", assignee="a-1"),
        entry(11, "survey.completed", at(1, 13), rating=5, team="billing", channel="email", assignee="a-1"),
        entry(12, "message.received", at(2, 9), sender="customer", team="billing", channel="email"),
        status(13, at(2, 9), "solved", "open", team="billing", channel="email", assignee="a-1"),
        entry(14, "conversation.reopened", at(2, 9), team="billing", channel="email", assignee="a-1"),
        entry(15, "message.sent", at(2, 10), agent="a-2", team="billing", channel="email", assignee="a-2"),
        status(16, at(2, 11), "open", "solved", team="billing", channel="email", assignee="a-2"),
    ],
    # answered and solved, then closed; a second thread begins and waits
    "k-2": [
        entry(1, "conversation.created", at(1, 10), sender="customer", team="support", channel="chat"),
        entry(2, "message.received", at(1, 10), sender="customer", team="support", channel="chat"),
        entry(3, "message.sent", at(1, 10, 15), agent="a-3", team="support", channel="chat", assignee="a-3"),
        status(4, at(1, 10, 20), "open", "solved", team="support", channel="chat", assignee="a-3"),
        status(5, at(2, 11, 20), "solved", "closed", team="support", channel="chat", assignee="a-3"),
        entry(
            6, "conversation.created", at(2, 16), thread=2, sender="customer", team="support", channel="chat"
        ),
        entry(7, "message.received", at(2, 16), thread=2, sender="customer", team="support", channel="chat"),
    ],
    # begun long before the week, waiting across its start, solved inside it
    "long": [
        entry(1, "conversation.created", at(-5, 9), sender="customer", team="support", channel="email"),
        entry(2, "message.received", at(-5, 9), sender="customer", team="support", channel="email"),
        status(3, at(3, 12), "open", "solved", team="support", channel="email", assignee="a-3"),
    ],
    # begun and solved long before: in the whole range only
    "old": [
        entry(1, "conversation.created", at(-10, 9), sender="customer", team="billing", channel="sms"),
        entry(2, "message.received", at(-10, 9), sender="customer", team="billing", channel="sms"),
        entry(3, "message.sent", at(-10, 9, 5), agent="a-1", team="billing", channel="sms", assignee="a-1"),
        status(4, at(-9, 9), "open", "solved", team="billing", channel="sms", assignee="a-1"),
    ],
}
# the same conversation id in another tenant, other facts
GLOBEX = {
    "k-1": [
        entry(1, "conversation.created", at(1, 9), sender="customer", team="sales", channel="chat"),
        entry(2, "message.received", at(1, 9), sender="customer", team="sales", channel="chat"),
        entry(3, "message.sent", at(1, 9, 5), agent="g-1", team="sales", channel="chat", assignee="g-1"),
        status(4, at(1, 9, 10), "open", "solved", team="sales", channel="chat", assignee="g-1"),
    ],
}
# after the first reports: k-2's waiting thread answered and solved, k-1 gets a message a channel
# delivered late (received before its last resolution, written after it)
LATE = {
    "k-2": [
        entry(
            8,
            "message.sent",
            at(3, 10),
            thread=2,
            agent="a-3",
            team="support",
            channel="chat",
            assignee="a-3",
        ),
        status(9, at(3, 10, 30), "open", "solved", thread=2, team="support", channel="chat", assignee="a-3"),
    ],
    "k-1": [entry(17, "message.received", at(2, 10, 45), sender="customer", team="billing", channel="email")],
}
QUERIES = [
    KpiQuery(at(-14, 0), at(7, 0)),
    KpiQuery(at(0, 0), at(5, 0), ("team", "channel"), "day"),
    KpiQuery(at(-1, 0), at(6, 0), ("agent",), "day"),
    KpiQuery(at(1, 10, 10), at(2, 9, 30), ("priority",)),  # cuts k-1 and k-2 in two at both ends
    KpiQuery(at(-14, 0), at(7, 0), ("team",), "week"),
    KpiQuery(at(2, 12), at(3, 11)),  # only the backlog: nothing begins in it
]


def facts(tenant: str, trails: dict[str, list[DecisionEntry]]) -> list[KpiFact]:
    return [
        f for c, trail in trails.items() for e in trail for f in facts_of(e, tenant=tenant, conversation_id=c)
    ]


async def same_as_from_facts(database: AsyncEngine) -> dict[str, list[list[dict[str, Any]]]]:
    """Every query's report for both tenants, each checked equal to the report from every fact."""
    out: dict[str, list[list[dict[str, Any]]]] = {}
    for tenant in ("acme", "globex"):
        out[tenant] = []
        for query in QUERIES:
            rows = await kpi_report(database, tenant, query)
            assert rows == await kpi_report_from_facts(database, tenant, query), (tenant, query)
            out[tenant].append(rows)
    return out


def conversations(rows: list[dict[str, Any]]) -> set[str]:
    return {c for row in rows for metric in row["metrics"].values() for c in metric.get("conversations", [])}


async def test_reports_from_summaries_equal_reports_from_every_fact(database: AsyncEngine) -> None:
    store, threads = KpiFactStore(database), KpiThreadStore(database)
    await store.add(facts("acme", ACME))
    await store.add(facts("globex", GLOBEX))

    # no pack published yet: calendar time only
    first = await same_as_from_facts(database)
    whole = first["acme"][0][0]["metrics"]
    assert whole["volume"]["value"] == 5 and whole["reopens"] == {"value": 1, "conversations": ["k-1"]}
    assert whole["first_response_time"]["business_mean_seconds"] is None
    assert conversations(first["acme"][0]) == {"k-1", "k-2", "long", "old"}
    assert first["globex"][0][0]["metrics"]["volume"] == {"value": 1, "conversations": ["k-1"]}
    assert await threads.stale("acme", summary.VERSION) == []

    # the pack published after the first reports: summaries measured without its calendar are redone
    await PackStore(database).publish("acme", PACK, published_by="test", source="test")
    published = await same_as_from_facts(database)
    business = published["acme"][0][0]["metrics"]["first_response_time"]["business_mean_seconds"]
    assert business is not None and published["acme"] != first["acme"]

    # facts arriving after a report mark only their threads; the next report measures those again
    await store.add(facts("acme", LATE))
    marked = {one.key for one in await threads.stale("acme", summary.VERSION)}
    assert marked == {("k-1", "L", 1), ("k-2", "L", 2)}
    assert await threads.stale("globex", summary.VERSION) == []
    late = await same_as_from_facts(database)
    assert late["acme"] != published["acme"] and late["globex"] == published["globex"]
    assert late["acme"][0][0]["metrics"]["first_response_time"]["count"] == 4  # k-2's second thread

    # a rebuild whose facts no longer have k-2's second thread: its summary goes
    rebuilt = [f for f in facts("acme", ACME) if f.conversation_id == "k-2" and f.thread == 1]
    await store.replace("acme", ["k-2"], rebuilt)
    after = await same_as_from_facts(database)
    assert after["acme"][0][0]["metrics"]["volume"]["value"] == 4
    assert ("k-2", "L", 2) not in {s.key for s in await threads.selected("acme", at(-14, 0), at(7, 0))}


async def test_facts_of_some_conversations_stop_at_the_instant(database: AsyncEngine) -> None:
    """The split threads' facts (a range's end inside them) are read by conversation and before the
    end: a fact after it must not count, though the query leaves the instant to Python."""
    store = KpiFactStore(database)
    await store.add(facts("acme", ACME))
    end = at(1, 10, 10)
    some = await store.facts("acme", before=end, conversations=["k-1", "k-2"])
    every = await store.facts("acme", before=end)
    assert some and all(f.at < end for f in some)
    assert some == [f for f in every if f.conversation_id in ("k-1", "k-2")]
    assert len(await store.facts("acme", conversations=["k-1", "k-2"])) > len(some)


async def test_decoded_summaries_kept_in_the_process_stay_within_their_bound(database: AsyncEngine) -> None:
    """A dashboard's next report reuses the threads decoded for the last one; a report bigger than the
    bound is decoded without being kept, and a full cache starts again instead of growing."""
    await KpiFactStore(database).add(facts("acme", ACME))
    await kpi_report(database, "acme", QUERIES[0])  # measures the summaries
    selected = await KpiThreadStore(database).selected("acme", at(-14, 0), at(7, 0))
    whole = [s for s in selected if not s.split]
    assert len(whole) >= 4
    calendars = await CalendarBook(database).calendars({(s.pack, s.calendar) for s in whole})

    cache = DecodedThreads(limit=len(whole))
    first, _ = cache.decoded("acme", whole, calendars)
    again, _ = cache.decoded("acme", whole, calendars)
    assert all(a is b for a, b in zip(first, again, strict=True)) and len(cache) == len(whole)
    other, _ = cache.decoded("globex", whole, calendars)  # the same rows, as another tenant's
    assert len(cache) == len(whole)  # both did not fit: only the report at hand's are kept
    assert not any(t is u for t, u in zip(first, other, strict=True))
    third, _ = cache.decoded("acme", whole, calendars)
    assert not any(t is u for t, u in zip(first, third, strict=True))  # acme's were let go

    small = DecodedThreads(limit=len(whole) - 1)
    small.decoded("acme", whole, calendars)
    assert len(small) == 0  # more than fit: decoded, not kept
