"""Running a pack's own test cases: event + context in, expected rules and actions out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.rules.actions import Simulated, from_record
from engine.rules.case_context import case_context
from engine.rules.context import RuleContext
from engine.rules.decision import CompiledPack, Decision
from engine.rules.pack import TestCase
from engine.rules.triage.offline import with_triage


@dataclass
class CaseResult:
    name: str
    decision: Decision
    failures: list[str] = field(default_factory=list)
    context: RuleContext | None = None
    """The context decided on (with the message's triage fields, when they were filled in)."""

    @property
    def passed(self) -> bool:
        return not self.failures


def outcome_summary(decision: Decision, context: RuleContext) -> dict[str, Any]:
    """What a decision does to the conversation: resulting tags, route, priority."""
    sim = Simulated(
        tags=list(context.conversation.tags),
        team=context.conversation.team,
        priority=context.conversation.priority.value,
    )
    for decided in decision.actions:
        from_record(decided.action).simulate(sim)
    return {"tags": sim.tags, "route": sim.team, "priority": sim.priority}


def run_case(pack: CompiledPack, case: TestCase) -> CaseResult:
    wanted = case.expect.intent is not None or case.expect.language is not None
    triaged = with_triage(pack, case.context, wanted=wanted)
    context = RuleContext.model_validate(case_context(case.event.value, triaged, pack.pack))
    decision = pack.decide(context)
    result = CaseResult(case.name, decision=decision, context=context)
    expect = case.expect
    if expect.intent is not None and context.message.intent != expect.intent:
        scores = f" (confidence {context.message.intent_confidence})" if context.message.intent else ""
        result.failures.append(f"intent: expected {expect.intent}, got {context.message.intent}{scores}")
    if expect.language is not None and context.message.language != expect.language:
        result.failures.append(f"language: expected {expect.language}, got {context.message.language}")
    matched = decision.matched
    if expect.matched is not None and matched != expect.matched:
        result.failures.append(f"matched rules: expected {expect.matched}, got {matched}")
    for rule_id in expect.not_matched or []:
        if rule_id in matched:
            result.failures.append(f"rule {rule_id} matched but should not")
    actions = [d.action for d in decision.actions]
    if expect.actions is not None and not _actions_match(expect.actions, actions):
        result.failures.append(f"actions: expected {expect.actions}, got {actions}")
    summary = outcome_summary(decision, context)
    if expect.tags is not None and sorted(summary["tags"]) != sorted(expect.tags):
        result.failures.append(f"tags: expected {sorted(expect.tags)}, got {sorted(summary['tags'])}")
    if expect.route is not None and summary["route"] != expect.route:
        result.failures.append(f"route: expected {expect.route}, got {summary['route']}")
    if expect.priority is not None and summary["priority"] != expect.priority:
        result.failures.append(f"priority: expected {expect.priority}, got {summary['priority']}")
    for outcome in decision.rules:
        if outcome.error:
            result.failures.append(f"rule {outcome.id} failed to evaluate: {outcome.error}")
    return result


def _actions_match(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> bool:
    """Same actions in the same order; an expected action may leave out fields it does not care about."""
    return len(expected) == len(actual) and all(
        all(a.get(k) == v for k, v in e.items()) for e, a in zip(expected, actual, strict=True)
    )


def run_cases(pack: CompiledPack, cases: list[TestCase]) -> list[CaseResult]:
    return [run_case(pack, case) for case in cases]
