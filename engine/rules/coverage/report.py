"""The coverage report as one JSON document: what `POST /v1/rules/coverage` answers and
`convoflow rules coverage --format json` prints (the text format is drawn from it).

Built in two steps because its two halves come from different places: the test half from the pack
alone (a pack worker computes it, away from the API's event loop), the traffic half from the
tenant's recorded decisions (read from Temporal by the API or CLI process, then added here).
"""

from __future__ import annotations

from typing import Any

from engine.rules.coverage.cases import CaseCoverage, RuleCases
from engine.rules.coverage.traffic import TrafficCoverage
from engine.rules.pack import RulePack


def _rule(rule: RuleCases) -> dict[str, Any]:
    return {
        "id": rule.id,
        "path": f"rules[{rule.index}]",
        "on": rule.on,
        "tested": rule.tested,
        "cases": {
            "evaluated": rule.evaluated,
            "matched": rule.matched,
            "failed": rule.failed,
            "disagreed": rule.disagreed,
        },
        "branches": {
            "covered": len(rule.covered),
            "total": len(rule.branches),
            "uncovered": [{"path": b.path, "outcome": b.outcome} for b in rule.uncovered],
        },
        "traffic": None,
    }


def document(pack: RulePack, cases: CaseCoverage) -> dict[str, Any]:
    """The report of the pack's test cases; `traffic` is null until `add_traffic`."""
    return {
        "pack": {"name": pack.meta.name, "version": pack.meta.version, "hash": pack.content_hash},
        "tests": {"cases": cases.cases, "failed": cases.failed_cases},
        "summary": {
            "rules": len(cases.rules),
            "tested": len(cases.rules) - len(cases.untested),
            "untested": cases.untested,
            "branches": {"covered": cases.branches_covered, "total": cases.branches_total},
            "never_fired": None,
        },
        "rules": [_rule(r) for r in cases.rules],
        "traffic": None,
    }


def rule_ids(report: dict[str, Any]) -> list[str]:
    """The pack's rule ids, in order, as the report lists them."""
    return [str(rule["id"]) for rule in report["rules"]]


def add_traffic(report: dict[str, Any], traffic: TrafficCoverage, *, tenant: str) -> dict[str, Any]:
    """The report with each rule's counts on the period's traffic (`report` is changed and returned)."""
    for rule in report["rules"]:
        counts = traffic.rules[rule["id"]]
        rule["traffic"] = {
            "fired": counts.fired,
            "evaluated": counts.evaluated,
            "failed": counts.failed,
            "conversations": counts.conversations,
        }
    report["summary"]["never_fired"] = traffic.never_fired
    report["traffic"] = {
        "tenant": tenant,
        "from": traffic.start.isoformat(),
        "to": traffic.end.isoformat(),
        "conversations": traffic.conversations,
        "decisions": traffic.decisions,
        "packs": dict(traffic.packs.most_common()),
        "other_rules": dict(traffic.other_rules.most_common()),
        "truncated": traffic.truncated,
        "unanswered_runs": traffic.unanswered,
    }
    return report
