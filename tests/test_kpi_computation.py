"""KPIs computed from a fixed-clock trail, compared with values worked out by hand (docs/kpis.md).

The trail is what the workflow records (decision entries with their KPI view); the facts come from the
same `facts_of` the workflow and `convoflow kpi rebuild` use. The office calendar is open Monday to
Friday 09:00-17:00 UTC, so each business figure below is counted by hand from those hours.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.api.console.charts import drill_down
from engine.calendar import BusinessCalendar
from engine.contracts.conversation import DecisionEntry, ExecutedAction
from engine.kpis.facts import facts_of
from engine.kpis.query import KpiQueryError, parse_query
from engine.kpis.report import report, to_csv
from engine.kpis.threads import threads_of

PACK = "p" * 64
OFFICE = BusinessCalendar.from_dict(
    {"timezone": "UTC", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
)
CALENDARS = {(PACK, "office"): OFFICE}
HOUR = 3600.0


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """Monday 23 November 2026 is day 0."""
    return datetime(2026, 11, 23 + day, hh, mm, tzinfo=UTC)


def entry(
    seq: int, event: str, when: datetime, *, thread: int = 1, done: tuple[str, ...] = (), **view: Any
) -> DecisionEntry:
    return DecisionEntry(
        seq=seq,
        event=event,
        at=when,
        thread=thread,
        note="survey sent" if event == "survey.due" else None,
        executed=[ExecutedAction(index=str(i), action={"type": k}) for i, k in enumerate(done)],
        kpi={"life": "L", "pack": PACK, "calendar": "office", "priority": "normal", **view},
    )


def k1() -> list[DecisionEntry]:
    """Email, billing: breached first response, a pause, on hold, solved, survey 5, reopened, solved."""
    v = {"channel": "email", "team": "billing", "assignee": "a-1"}
    sla = {"sla": {"first_response": 60, "next_response": 60, "resolution": 480}}
    return [
        entry(
            1, "conversation.created", at(0, 8), done=("reply", "apply_sla"), sender="customer", **v, **sla
        ),
        entry(2, "message.received", at(0, 8), sender="customer", **v, **sla),
        entry(3, "sla.breached", at(0, 10), target="first_response", **v, **sla),
        entry(4, "message.sent", at(0, 10, 30), **v, **sla),
        entry(5, "status.changed", at(0, 10, 30), **{"from": "open", "to": "pending"}, **v, **sla),
        entry(6, "message.received", at(0, 16, 30), sender="customer", **v, **sla),
        entry(7, "status.changed", at(0, 16, 30), **{"from": "pending", "to": "open"}, **v, **sla),
        entry(8, "message.sent", at(1, 9, 30), **v, **sla),
        entry(9, "status.changed", at(1, 9, 30), **{"from": "open", "to": "on_hold"}, **v, **sla),
        entry(10, "status.changed", at(1, 11, 30), **{"from": "on_hold", "to": "solved"}, **v, **sla),
        entry(11, "survey.due", at(1, 12, 30), **v, **sla),
        entry(12, "survey.completed", at(1, 13), rating=5, **v, **sla),
        entry(13, "message.received", at(2, 9), sender="customer", **v, **sla),
        entry(14, "status.changed", at(2, 9), **{"from": "solved", "to": "open"}, **v, **sla),
        entry(15, "conversation.reopened", at(2, 9), **v, **sla),
        entry(16, "message.sent", at(2, 10), **v, **sla),
        entry(17, "status.changed", at(2, 11), **{"from": "open", "to": "solved"}, **v, **sla),
    ]


def k2() -> list[DecisionEntry]:
    """Chat, support: answered once and solved (one touch), survey unanswered; a second thread waits."""
    v = {"channel": "chat", "team": "support", "assignee": "a-2", "sla": {"first_response": 60}}
    return [
        entry(1, "conversation.created", at(1, 10), done=("reply", "apply_sla"), sender="customer", **v),
        entry(2, "message.received", at(1, 10), sender="customer", **v),
        entry(3, "message.sent", at(1, 10, 15), **v),
        entry(4, "status.changed", at(1, 10, 20), **{"from": "open", "to": "solved"}, **v),
        entry(5, "survey.due", at(1, 11, 20), **v),
        entry(6, "status.changed", at(2, 11, 20), **{"from": "solved", "to": "closed"}, **v),
        entry(7, "conversation.created", at(2, 16), thread=2, done=("reply",), sender="customer", **v),
        entry(8, "message.received", at(2, 16), thread=2, sender="customer", **v),
    ]


def facts() -> list[Any]:
    out = []
    for conversation, trail in (("k-1", k1()), ("k-2", k2())):
        for e in trail:
            out += facts_of(e, tenant="t", conversation_id=conversation)
    return out


def test_one_thread_measured_in_calendar_and_business_time() -> None:
    (thread,) = [t for t in threads_of(facts(), CALENDARS) if t.conversation_id == "k-1"]
    # first response: Mon 08:00 -> 10:30; the office opens at 09:00
    assert (thread.first_response.calendar, thread.first_response.business) == (2.5 * HOUR, 1.5 * HOUR)
    # next replies: Mon 16:30 -> Tue 09:30 (30 min Monday, 30 min Tuesday), Wed 09:00 -> 10:00
    assert [(m.calendar, m.business) for m in thread.next_replies] == [(17 * HOUR, 1 * HOUR), (HOUR, HOUR)]
    # full resolution: Mon 08:00 -> the last solve, Wed 11:00 (8 h Monday, 8 h Tuesday, 2 h Wednesday)
    assert (thread.resolution.calendar, thread.resolution.business) == (51 * HOUR, 18 * HOUR)
    # requester wait: open 2.5 h (1.5 business) + open 17 h (1) + on hold 2 h (2) + open 2 h (2),
    # not the pending or solved stretches
    assert (thread.requester_wait.calendar, thread.requester_wait.business) == (23.5 * HOUR, 6.5 * HOUR)
    assert (thread.on_hold.calendar, thread.on_hold.business) == (2 * HOUR, 2 * HOUR)
    assert thread.reopens == 1 and thread.agent_replies == 3 and not thread.one_touch
    assert thread.sla == {"first_response": "breached", "next_response": "achieved", "resolution": "achieved"}
    assert thread.rating == 5 and thread.survey_sent


def test_automatic_replies_are_not_responses() -> None:
    """Each creation sent an acknowledgement (auto_reply facts); the waiting thread has no first response."""
    assert sum(f.kind == "auto_reply" for f in facts()) == 3
    waiting = next(t for t in threads_of(facts(), CALENDARS) if (t.conversation_id, t.thread) == ("k-2", 2))
    assert waiting.first_response is None and waiting.agent_replies == 0


def test_the_report_with_its_drill_down() -> None:
    (row,) = report(threads_of(facts(), CALENDARS), start=at(0, 0), end=at(3, 8))
    m = row["metrics"]
    assert m["volume"] == {"value": 3, "conversations": ["k-1", "k-2"]}
    first = m["first_response_time"]
    assert (first["count"], first["mean_seconds"], first["business_mean_seconds"]) == (2, 4950.0, 3150.0)
    assert m["next_reply_time"]["count"] == 2 and m["next_reply_time"]["conversations"] == ["k-1"]
    assert m["full_resolution_time"]["median_seconds"] == (51 * HOUR + 1200) / 2
    assert m["one_touch_resolution_rate"] | {"conversations": None} == {
        "value": 0.5,
        "numerator": 1,
        "denominator": 2,
        "conversations": None,
        "matching": ["k-2"],
        "missing": ["k-1"],
    }
    assert m["reopens"] == {"value": 1, "conversations": ["k-1"]}
    assert (m["csat"]["value"], m["survey_response_rate"]["value"]) == (1.0, 0.5)
    assert (m["sla_first_response"]["value"], m["sla_first_response"]["matching"]) == (0.5, ["k-2"])
    assert m["sla_resolution"]["value"] == 1.0 and m["sla_resolution"]["conversations"] == ["k-1"]
    # backlog at Thu 08:00: k-2's second thread, waiting since Wed 16:00 (1 business hour: Wed 16-17)
    backlog = m["backlog"]
    assert (backlog["value"], backlog["conversations"]) == (1, ["k-2"])
    assert (backlog["age_mean_seconds"], backlog["age_business_mean_seconds"]) == (16 * HOUR, HOUR)


def test_groups_and_days() -> None:
    rows = report(
        threads_of(facts(), CALENDARS), start=at(0, 0), end=at(3, 0), group_by=["channel"], interval="day"
    )
    volume = {(r["group"]["channel"], r["from"][:10]): r["metrics"]["volume"]["value"] for r in rows}
    # a series: each channel has every day, a quiet one with 0 (it was left out: a gap in a
    # spreadsheet's series, a blank on the console's chart)
    assert volume == {
        ("chat", "2026-11-23"): 0,
        ("chat", "2026-11-24"): 1,
        ("chat", "2026-11-25"): 1,
        ("email", "2026-11-23"): 1,
        ("email", "2026-11-24"): 0,  # solved on Tuesday and Wednesday
        ("email", "2026-11-25"): 0,
    }
    backlog = {(r["group"]["channel"], r["from"][:10]): r["metrics"]["backlog"]["value"] for r in rows}
    # end of Monday: k-1 pending (unsolved); end of Wednesday: k-2's second thread
    assert backlog == {
        ("chat", "2026-11-23"): 0,
        ("chat", "2026-11-24"): 0,
        ("chat", "2026-11-25"): 1,
        ("email", "2026-11-23"): 1,
        ("email", "2026-11-24"): 0,
        ("email", "2026-11-25"): 0,
    }
    quiet = next(r for r in rows if (r["group"]["channel"], r["from"][:10]) == ("email", "2026-11-25"))
    assert quiet["metrics"]["first_response_time"]["mean_seconds"] is None  # no rate of nothing
    assert report([], start=at(0, 0), end=at(3, 0), interval="day")[2]["metrics"]["volume"]["value"] == 0
    csv_text = to_csv(rows)
    assert csv_text.splitlines()[0].startswith("from,to,team,channel,agent,priority,metric,value")
    lines = list(csv.DictReader(io.StringIO(csv_text)))
    volume_line = next(r for r in lines if r["metric"] == "volume" and r["conversations"] == "k-1")
    assert volume_line["value"] == "1" and volume_line["matching"] == ""
    # A rate's line says how it was counted and which threads it counted as hits: the export alone
    # recomputes it and lists its misses (it had the value and every thread counted, no more).
    for row in rows:
        for name, value in row["metrics"].items():
            if "matching" not in value:
                continue
            line = next(
                r
                for r in lines
                if r["metric"] == name
                and r["from"] == row["from"]
                and r["channel"] == row["group"]["channel"]
            )
            assert (line["numerator"], line["denominator"]) == (
                str(value["numerator"]),
                str(value["denominator"]),
            )
            assert line["matching"].split() == value["matching"]


def test_a_team_named_like_a_formula_is_inert_in_the_csv() -> None:
    """A pack may name a team `=HYPERLINK(...)`: the CSV export put it in a cell a spreadsheet runs
    as a formula when ops open the file. Such a cell starts with `'`; numbers stay numbers."""
    rows = [{"from": "a", "to": "b", "group": {"team": "=2+5*cmd|/C calc!A0", "agent": "@ana"},
             "metrics": {"volume": {"value": -1, "conversations": ["-k"]}}}]  # fmt: skip
    (line,) = csv.DictReader(io.StringIO(to_csv(rows)))
    assert (line["team"], line["agent"], line["conversations"]) == ("'=2+5*cmd|/C calc!A0", "'@ana", "'-k")
    assert line["value"] == "-1"


def test_a_filter_keeps_only_its_threads() -> None:
    """The console's team filter: billing's figures alone, not billing's share of everyone's."""
    query = parse_query(
        start="2026-11-23",
        end="2026-11-26T08:00",
        group_by=None,
        interval=None,
        now=at(3, 8),
        filters={"team": "billing", "channel": None},
    )
    (row,) = report(threads_of(facts(), CALENDARS), start=query.start, end=query.end, filters=query.filters)
    assert row["metrics"]["volume"] == {"value": 1, "conversations": ["k-1"]}  # of 3 threads in all
    assert row["metrics"]["backlog"]["value"] == 0
    assert report(threads_of(facts(), CALENDARS), start=at(0, 0), end=at(3, 8), filters=[("team", "x")]) == []


def test_a_range_into_the_future_ends_now() -> None:
    """The backlog's age is read at now, not at the end of a day that has not happened yet."""
    query = parse_query(start="2026-11-23", end="2026-11-27", group_by=None, interval=None, now=at(2, 16))
    assert query.end == at(2, 16)
    (row,) = report(threads_of(facts(), CALENDARS), start=query.start, end=query.end)
    assert row["metrics"]["backlog"]["at"] == at(2, 16).isoformat()
    with pytest.raises(KpiQueryError) as caught:
        parse_query(start="2026-11-26", end="2026-11-27", group_by=None, interval=None, now=at(2, 16))
    assert caught.value.parameter == "from"


def test_an_event_applied_twice_counts_once() -> None:
    twice = facts() + facts()
    (row,) = report(threads_of(twice, CALENDARS), start=at(0, 0), end=at(3, 8))
    assert row["metrics"]["volume"]["value"] == 3
    assert row["metrics"]["next_reply_time"]["count"] == 2


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"start": "yesterday"}, "from"),
        ({"end": "2026-13-01"}, "to"),
        ({"start": "2026-11-24", "end": "2026-11-23"}, "from"),
        ({"start": "2024-01-01", "end": "2026-11-23"}, "from"),
        ({"group_by": "team,planet"}, "group_by"),
        ({"group_by": "team,team"}, "group_by"),
        ({"interval": "hour"}, "interval"),
        ({"filters": {"team": "two\nlines"}}, "team"),  # a pack's team name is one line ("Tier 2" is one)
        ({"filters": {"team": "t" * 65}}, "team"),
        ({"filters": {"channel": "fax"}}, "channel"),
        ({"filters": {"planet": "mars"}}, "planet"),
    ],
)
def test_bad_parameters_name_themselves(params: dict[str, Any], parameter: str) -> None:
    given = {"start": None, "end": None, "group_by": None, "interval": None, **params}
    with pytest.raises(KpiQueryError) as caught:
        parse_query(**given, now=at(3, 0))
    assert caught.value.parameter == parameter


def test_a_conversation_with_a_missed_thread_is_among_the_misses_though_another_thread_hit() -> None:
    """Thread 1 answered in time, thread 2 breached: the conversation was in `conversations` and in
    `matching`, and "conversations not matching", the console's missed list, left the breach out."""
    v = {"channel": "email", "team": "billing", "assignee": "a-1", "sla": {"first_response": 60}}
    trail = [
        entry(1, "conversation.created", at(0, 9), done=("apply_sla",), sender="customer", **v),
        entry(2, "message.sent", at(0, 9, 30), **v),
        entry(3, "status.changed", at(0, 10), **{"from": "open", "to": "closed"}, **v),
        entry(4, "conversation.created", at(1, 9), thread=2, done=("apply_sla",), sender="customer", **v),
        entry(5, "sla.breached", at(1, 10), thread=2, target="first_response", **v),
        entry(6, "message.sent", at(1, 11), thread=2, **v),
    ]
    facts = [f for e in trail for f in facts_of(e, tenant="t", conversation_id="k-3")]
    (row,) = report(threads_of(facts, CALENDARS), start=at(0, 0), end=at(3, 0))
    rate = row["metrics"]["sla_first_response"]
    assert (rate["numerator"], rate["denominator"]) == (1, 2)
    assert rate["matching"] == ["k-3"] and rate["missing"] == ["k-3"]
    assert drill_down(row["metrics"], "sla_first_response", missed=True) == ["k-3"]


def test_a_message_received_after_it_was_handled_counts_from_its_handling() -> None:
    """`received_at` half an hour ahead of the workflow's clock (a channel's skew the API allows):
    the thread began after its reply, its first response time was -1797 s."""
    v = {"channel": "email", "team": "billing", "assignee": "a-1"}
    created = entry(1, "conversation.created", at(0, 9), sender="customer", **v)
    created.kpi = {**(created.kpi or {}), "at": at(0, 9, 30).isoformat()}  # received "later"
    trail = [created, entry(2, "message.sent", at(0, 9, 5), **v)]
    facts = [f for e in trail for f in facts_of(e, tenant="t", conversation_id="k-4")]
    (row,) = report(threads_of(facts, CALENDARS), start=at(0, 0), end=at(1, 0))
    assert row["metrics"]["first_response_time"]["mean_seconds"] == 300.0
