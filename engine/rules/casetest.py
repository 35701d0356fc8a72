"""Running a pack's own test cases: event + context in, expected rules and actions out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.rules.actions import Simulated, from_record
from engine.rules.context import RuleContext
from engine.rules.decision import CompiledPack, Decision
from engine.rules.pack import FollowOn, Outcome, TestCase
from engine.rules.simulation import follow
from engine.rules.triage.offline import with_triage


@dataclass
class CaseResult:
    name: str
    decision: Decision
    failures: list[str] = field(default_factory=list)
    context: RuleContext | None = None
    """The context decided on (with the message's triage fields, when they were filled in)."""
    followers: list[tuple[Decision, RuleContext]] = field(default_factory=list)
    """The decisions of the status changes the actions made, when the case expects them
    (`followed_by`): what they match is tested too."""

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
    wanted = bool({"intent", "language"} & case.expect.model_fields_set)
    triaged = with_triage(pack, case.context, wanted=wanted)
    # Decided and followed as `simulate` and live do; the followers are read (their outcomes and
    # their rules' errors) only when the case expects them: a case without `followed_by` passes or
    # fails as it did before the field existed.
    (decision, context), *followers = follow(pack, case.event.value, triaged)
    result = CaseResult(case.name, decision=decision, context=context)
    expect = case.expect
    given = expect.model_fields_set  # `route: null` (not routed) is an expectation; a field left out is not
    if "intent" in given and context.message.intent != expect.intent:
        scores = f" (confidence {context.message.intent_confidence})" if context.message.intent else ""
        found = context.message.intent or "none"
        result.failures.append(f"intent: expected {expect.intent or 'none'}, got {found}{scores}")
    if "language" in given and context.message.language != expect.language:
        found = context.message.language or "none"
        result.failures.append(f"language: expected {expect.language or 'none'}, got {found}")
    result.failures += _outcome_failures(expect, decision, context)
    if expect.followed_by is not None:
        result.followers = followers
        result.failures += _follower_failures(expect.followed_by, followers)
    for outcome in [o for d in [decision, *(f for f, _ in result.followers)] for o in d.rules]:
        if outcome.error:
            result.failures.append(f"rule {outcome.id} failed to evaluate: {outcome.error}")
    return result


def _outcome_failures(
    expect: Outcome, decision: Decision, context: RuleContext, where: str = ""
) -> list[str]:
    failures = []
    matched = decision.matched
    if expect.matched is not None and matched != expect.matched:
        failures.append(f"{where}matched rules: expected {expect.matched}, got {matched}")
    for rule_id in expect.not_matched or []:
        if rule_id in matched:
            failures.append(f"{where}rule {rule_id} matched but should not")
    actions = [d.action for d in decision.actions]
    if expect.actions is not None and not _actions_match(expect.actions, actions):
        failures.append(f"{where}actions: expected {expect.actions}, got {actions}")
    summary = outcome_summary(decision, context)
    if expect.tags is not None and sorted(summary["tags"]) != sorted(expect.tags):
        failures.append(f"{where}tags: expected {sorted(expect.tags)}, got {sorted(summary['tags'])}")
    if "route" in expect.model_fields_set and summary["route"] != expect.route:
        wanted = expect.route or "no route"
        failures.append(f"{where}route: expected {wanted}, got {summary['route'] or 'no route'}")
    if expect.priority is not None and summary["priority"] != expect.priority:
        failures.append(f"{where}priority: expected {expect.priority}, got {summary['priority']}")
    return failures


def _follower_failures(expected: list[FollowOn], followers: list[tuple[Decision, RuleContext]]) -> list[str]:
    """The status changes the actions made, against `followed_by`: as many, in order, each as expected."""
    statuses = [context.conversation.status for _, context in followers]
    if len(statuses) != len(expected):
        return [
            f"followed by: expected {len(expected)} status change(s), got {len(statuses)}"
            + (f" (to {', '.join(statuses)})" if statuses else "")
        ]
    failures = []
    for i, (follow_on, (decision, context)) in enumerate(zip(expected, followers, strict=True)):
        where = f"followed_by[{i}] (status.changed to {statuses[i]}): "
        if follow_on.status is not None and statuses[i] != follow_on.status:
            failures.append(f"{where}status: expected {follow_on.status}")
        failures += _outcome_failures(follow_on, decision, context, where)
    return failures


def _actions_match(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> bool:
    """Same actions in the same order; an expected action may leave out fields it does not care about."""
    return len(expected) == len(actual) and all(
        all(a.get(k) == v for k, v in e.items()) for e, a in zip(expected, actual, strict=True)
    )


def run_cases(pack: CompiledPack, cases: list[TestCase]) -> list[CaseResult]:
    return [run_case(pack, case) for case in cases]
