"""Rule coverage without a server: which rules and branches a pack's tests exercise, traffic counts,
and the tracing evaluation it rests on agreeing with the engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import datalogic_py
import pytest
from hypothesis import HealthCheck, given, settings

from engine.contracts.conversation import DecisionEntry
from engine.rules import jsonlogic
from engine.rules.coverage import (
    Branch,
    TraceFailed,
    Tracer,
    add_traffic,
    branches,
    case_coverage,
    document,
    plan,
    render,
    rule_ids,
    traffic_coverage,
)
from engine.rules.coverage.period import PeriodError, traffic_period
from engine.rules.decision import CompiledPack
from engine.service.pack_files import load_valid
from tests.test_rule_compiler import CONDITIONS, DATA

ROOT = Path(__file__).resolve().parent.parent
COVERAGE_PACK = ROOT / "tests" / "packs" / "coverage"
SHIPPED = [ROOT / "rule_packs" / "default", ROOT / "rule_packs" / "kundenservice"]


def report_of(pack_dir: Path) -> dict[str, Any]:
    pack = load_valid(pack_dir)
    return document(pack, case_coverage(CompiledPack(pack), pack.tests))


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in report["rules"]}


def uncovered(rule: dict[str, Any]) -> list[str]:
    return [f"{b['path']} {str(b['outcome']).lower()}" for b in rule["branches"]["uncovered"]]


def test_the_purpose_made_pack_reports_exactly_what_its_cases_leave_out() -> None:
    report = report_of(COVERAGE_PACK)
    assert report["tests"] == {"cases": 6, "failed": []}
    assert report["summary"] == {
        "rules": 9,
        "tested": 6,
        "untested": ["chat-in-hours", "not-email", "unhappy"],
        "branches": {"covered": 20, "total": 28},
        "never_fired": None,
    }
    rules = by_id(report)
    table = {
        rule_id: (r["tested"], r["branches"]["covered"], r["branches"]["total"], uncovered(r))
        for rule_id, r in rules.items()
    }
    assert table == {
        "skip-automated": (True, 2, 2, []),
        "vip-invoice": (True, 5, 6, ["rules[1].if.and[1] false"]),
        "billing": (True, 6, 6, []),
        "chat-in-hours": (
            False,
            3,
            6,
            ["rules[3].if true", "rules[3].if.if[0] false", "rules[3].if.if[1] true"],
        ),
        "not-email": (False, 1, 2, ["rules[4].if true"]),  # the == under ! is the same decision
        "big-attachment": (True, 2, 2, []),
        "route-general": (True, 0, 0, []),
        "follow-up-urgent": (True, 1, 2, ["rules[7].if false"]),
        "unhappy": (False, 0, 2, ["rules[8].if true", "rules[8].if false"]),
    }
    # Which cases evaluated and matched each rule: the billing stop keeps the VIP and refund cases
    # from reaching the rules after it; no case has a survey.
    assert rules["billing"]["cases"] == {
        "evaluated": 4,
        "matched": ["an invoice from a VIP", "a refund"],
        "failed": [],
        "disagreed": [],
    }
    assert rules["chat-in-hours"]["cases"]["evaluated"] == 2
    assert rules["unhappy"]["cases"]["evaluated"] == 0
    assert rules["skip-automated"]["path"] == "rules[0]"
    assert rules["skip-automated"]["on"] == ["conversation.created", "message.received"]


def test_the_text_report_lists_the_rules_and_what_no_case_exercises() -> None:
    text = render(report_of(COVERAGE_PACK))
    lines = [line.strip() for line in text.splitlines()]
    assert lines[1] == "rules matched by a test case: 6 of 9; branches covered: 20 of 28 (71%)"
    assert "vip-invoice: rules[1].if.and[1] never false" in lines
    assert any(line.split() == ["chat-in-hours", "NO", "0/2", "3/6"] for line in lines)
    assert "never matched by a test case: chat-in-hours, not-email, unhappy" in lines


def test_decision_points_follow_the_operators_that_choose_what_is_evaluated() -> None:
    root = plan(
        {
            "or": [
                {"!": [{"in": ["x", {"var": "a"}]}]},
                {"if": [{"var": "b"}, {"<": [1, {"var": "c"}]}, {"var": "d"}, "yes"]},
                {"==": [{"+": [{"var": "e"}, 1]}, {"if": [{"var": "f"}, 1, 2]}]},
            ]
        },
        "rules[0].if",
    )
    points = sorted({b.path for b in branches(root)})
    assert points == [
        "rules[0].if",
        "rules[0].if.or[0]",  # the `!`; the `in` under it is not counted again
        "rules[0].if.or[1]",
        "rules[0].if.or[1].if[0]",  # conditions of the if ...
        "rules[0].if.or[1].if[1]",  # ... and a test among its values
        "rules[0].if.or[1].if[2]",
        "rules[0].if.or[2]",  # a comparison is a leaf: the `if` inside its operand is not followed
    ]
    assert branches(plan({"var": "x"}, "p")) == [Branch("p", True), Branch("p", False)]


def test_inside_a_condition_truthiness_is_pythons_for_every_json_value() -> None:
    """The tracer takes `bool(value)` for the engine's truthiness; the engine agrees."""
    double_negation = jsonlogic.compile_condition({"!!": [{"var": "v"}]})
    for value in [{}, {"a": 1}, [], [0], "", "0", "false", " ", 0, 0.0, -0.0, 1e-300, None, False, True, -1]:
        assert double_negation.evaluate({"v": value}) is bool(value), value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logic=CONDITIONS, data=DATA)
def test_a_trace_matches_exactly_when_the_engine_does(logic: Any, data: dict[str, Any]) -> None:
    handle = datalogic_py.DataHandle(data)
    try:
        whole: Any = jsonlogic.truthy(jsonlogic.compile_condition(logic).evaluate_data(handle))
    except Exception:
        whole = "error"
    try:
        traced: Any = Tracer(plan(logic, "c")).trace(handle).matched
    except TraceFailed:
        traced = "error"
    assert traced == whole


@pytest.mark.parametrize("pack_dir", SHIPPED, ids=lambda p: p.name)
def test_the_shipped_packs_cases_match_every_rule(pack_dir: Path) -> None:
    report = report_of(pack_dir)
    assert report["tests"]["failed"] == []
    assert report["summary"]["untested"] == []
    assert all(not r["cases"]["disagreed"] and not r["cases"]["failed"] for r in report["rules"])


def test_the_shipped_packs_leave_only_an_unreachable_branch() -> None:
    """The default pack's `tag-technical` is `or: [contains_any [... "error" ...], matches "... error\\b"]`:
    every text the pattern finds holds "error", so the pattern is only asked when it cannot match."""
    left = {
        pack_dir.name: [(r["id"], *uncovered(r)) for r in report_of(pack_dir)["rules"] if uncovered(r)]
        for pack_dir in SHIPPED
    }
    assert left == {"default": [("tag-technical", "rules[10].if.or[1] true")], "kundenservice": []}


def entry(seq: int, at: datetime, rows: dict[str, str], *, pack_hash: str = "h1") -> DecisionEntry:
    return DecisionEntry(
        seq=seq,
        event="conversation.created",
        at=at,
        decision={
            "pack_hash": pack_hash,
            "rules": [{"id": rule_id, "outcome": outcome} for rule_id, outcome in rows.items()],
        },
    )


def test_traffic_counts_each_record_once_and_only_in_the_period() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = start + timedelta(days=1)
    inside, before = start + timedelta(hours=2), start - timedelta(minutes=1)
    first = entry(1, inside, {"billing": "matched", "general": "not_reached"})
    second = entry(2, inside, {"billing": "not_matched", "general": "matched"})
    failed = entry(
        3, inside, {"billing": "error", "general": "matched", "retired": "matched"}, pack_hash="h0"
    )
    trails = {
        # a run continued as new: the later run carries the earlier one's records again
        "conversation:t:a": [first, second, first, second, failed],
        "conversation:t:b": [entry(1, before, {"billing": "matched"}), entry(2, end, {"billing": "matched"})],
    }
    counts = traffic_coverage(["billing", "general", "unused"], trails, start=start, end=end)
    assert (counts.conversations, counts.decisions) == (1, 3)
    assert counts.packs == {"h1": 2, "h0": 1}
    assert counts.other_rules == {"retired": 1}
    billing, general = counts.rules["billing"], counts.rules["general"]
    assert (billing.fired, billing.evaluated, billing.failed, billing.conversations) == (1, 3, 1, 1)
    assert (general.fired, general.evaluated, general.conversations) == (2, 2, 1)
    assert counts.never_fired == ["unused"]


def test_the_report_carries_the_traffic_per_rule() -> None:
    report = report_of(COVERAGE_PACK)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    trails = {"c": [entry(1, start, {"billing": "matched", "skip-automated": "not_matched"})]}
    counts = traffic_coverage(rule_ids(report), trails, start=start, end=start + timedelta(days=1))
    add_traffic(report, counts, tenant="acme")
    assert by_id(report)["billing"]["traffic"] == {
        "fired": 1,
        "evaluated": 1,
        "failed": 0,
        "conversations": 1,
    }
    assert report["summary"]["never_fired"] == [r for r in rule_ids(report) if r != "billing"]
    assert report["traffic"]["tenant"] == "acme" and report["traffic"]["decisions"] == 1
    json.dumps(report)  # one JSON document, as the API answers it
    assert "never fired in the period: skip-automated, vip-invoice" in render(report)


def test_a_traffic_period_names_what_is_wrong() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    period = traffic_period(start=None, end=None, conversations=None, now=now)
    assert (period.start, period.end, period.conversations) == (now - timedelta(days=7), now, 500)
    assert traffic_period(
        start="2026-02-01", end="2026-02-02T12:00", conversations=3, now=now
    ).start == datetime(2026, 2, 1, tzinfo=UTC)
    for start, end, conversations, parameter in [
        ("2026-02-02", "2026-02-01", None, "from"),
        ("last week", None, None, "from"),
        (None, "soon", None, "to"),
        ("2024-01-01", None, None, "from"),
        (None, None, 0, "conversations"),
    ]:
        with pytest.raises(PeriodError) as caught:
            traffic_period(start=start, end=end, conversations=conversations, now=now)
        assert caught.value.parameter == parameter
