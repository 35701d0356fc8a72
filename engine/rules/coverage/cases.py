"""Test coverage: which rules, and which branches of their conditions, a pack's own test cases exercise.

Each case is decided as `convoflow rules test` decides it (the compiled pack, unchanged); every rule
the decision evaluated is then traced against the same context (engine/rules/coverage/tracing.py)
and the trace is checked against the decision record: a trace that does not give the recorded
outcome is reported as a disagreement and covers nothing, rather than being believed.

A rule counts as tested when at least one case matched it: a rule that is only ever evaluated and
found not to match has had its actions checked by nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import datalogic_py

from engine.rules import jsonlogic
from engine.rules.case_context import case_context
from engine.rules.casetest import run_case
from engine.rules.context import RuleContext
from engine.rules.coverage.branches import Branch, branches, plan
from engine.rules.coverage.tracing import TraceFailed, Tracer
from engine.rules.decision import CompiledPack, Decision
from engine.rules.pack import TestCase


@dataclass(kw_only=True)
class RuleCases:
    """How the test cases exercised one rule."""

    index: int
    """Its place in the pack (`rules[index]`)."""
    id: str
    on: list[str]
    branches: list[Branch]
    """Both branches of every decision point of its condition (none when it has no condition)."""
    evaluated: int = 0
    """Cases whose decision evaluated the rule (it was listening and not after a `stop`)."""
    matched: list[str] = field(default_factory=list)
    """Names of the cases it matched in."""
    failed: list[str] = field(default_factory=list)
    """Names of the cases its condition failed to evaluate in."""
    disagreed: list[str] = field(default_factory=list)
    """Cases whose trace did not give the recorded outcome (never expected; covers nothing)."""
    taken: set[Branch] = field(default_factory=set)

    @property
    def tested(self) -> bool:
        return bool(self.matched)

    @property
    def covered(self) -> list[Branch]:
        return [b for b in self.branches if b in self.taken]

    @property
    def uncovered(self) -> list[Branch]:
        return [b for b in self.branches if b not in self.taken]


@dataclass(kw_only=True)
class CaseCoverage:
    """The pack's test cases against its rules."""

    rules: list[RuleCases]
    cases: int
    failed_cases: list[str]
    """Cases whose expectations were not met (coverage still counts what they exercised)."""

    @property
    def untested(self) -> list[str]:
        return [r.id for r in self.rules if not r.tested]

    @property
    def branches_total(self) -> int:
        return sum(len(r.branches) for r in self.rules)

    @property
    def branches_covered(self) -> int:
        return sum(len(r.covered) for r in self.rules)


def case_coverage(pack: CompiledPack, cases: Sequence[TestCase]) -> CaseCoverage:
    """Run the cases and count what they exercised, rule by rule and branch by branch."""
    rules: list[RuleCases] = []
    tracers: dict[str, tuple[RuleCases, Tracer | None]] = {}
    for index, rule in enumerate(pack.pack.rules):
        root = None if rule.condition is None else plan(rule.condition, f"rules[{index}].if")
        entry = RuleCases(
            index=index,
            id=rule.id,
            on=[e.value for e in rule.on],
            branches=[] if root is None else branches(root),
        )
        rules.append(entry)
        tracers[rule.id] = (entry, None if root is None else Tracer(root))
    failed_cases: list[str] = []
    for case in cases:
        result = run_case(pack, case)
        if not result.passed:
            failed_cases.append(case.name)
        seen = result.context or RuleContext.model_validate(
            case_context(case.event.value, case.context, pack.pack)
        )
        for decision, context in [(result.decision, seen), *result.followers]:
            _count(tracers, case.name, decision, context)
    return CaseCoverage(rules=rules, cases=len(cases), failed_cases=failed_cases)


def _count(
    tracers: dict[str, tuple[RuleCases, Tracer | None]], case: str, decision: Decision, seen: RuleContext
) -> None:
    """One decision of a case: the rules it evaluated and matched, the branches their conditions took."""
    data = seen.to_data()
    handle: datalogic_py.DataHandle | None = None
    for row in decision.model_dump()["rules"]:
        entry, tracer = tracers[row["id"]]
        outcome = row["outcome"]
        if outcome == "not_reached":
            continue
        entry.evaluated += 1
        if outcome == "error":
            entry.failed.append(case)
            continue
        matched = outcome == "matched"
        if matched:
            entry.matched.append(case)
        if tracer is None:
            continue
        if handle is None:
            handle = jsonlogic.data_handle(data)
        try:
            trace = tracer.trace(handle)
        except TraceFailed:
            entry.disagreed.append(case)
            continue
        if trace.matched != matched:
            entry.disagreed.append(case)
            continue
        entry.taken |= trace.taken
