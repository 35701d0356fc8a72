"""Rule coverage: which rules and condition branches a pack's test cases exercise, and which rules
fired how often on a tenant's recorded traffic (`convoflow rules coverage`, `POST /v1/rules/coverage`).

Pure: the service reads the decision trails (engine/service/rule_traffic.py) and hands them in.
"""

from engine.rules.coverage.branches import Branch, Node, branches, plan, points
from engine.rules.coverage.cases import CaseCoverage, RuleCases, case_coverage
from engine.rules.coverage.report import add_traffic, document, rule_ids
from engine.rules.coverage.text import render
from engine.rules.coverage.tracing import Trace, TraceFailed, Tracer
from engine.rules.coverage.traffic import RuleTraffic, TrafficCoverage, in_period, traffic_coverage

__all__ = [
    "Branch",
    "CaseCoverage",
    "Node",
    "RuleCases",
    "RuleTraffic",
    "Trace",
    "TraceFailed",
    "Tracer",
    "TrafficCoverage",
    "add_traffic",
    "branches",
    "case_coverage",
    "document",
    "in_period",
    "plan",
    "points",
    "render",
    "rule_ids",
    "traffic_coverage",
]
