"""What the rule-pack routes answer (engine/api/rules.py, rules_shadow.py, pack_jobs.py), as models.

The OpenAPI document takes its schemas from these (engine/api/openapi_rules.py), and each route
builds its answer through one, so a generated client's models and the bodies cannot drift apart:
these answers were plain objects in the document, which a client could only read as `dict`.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.rules.analysis.findings import Finding
from engine.rules.decision import DecisionRecord


def _open_to_additions(schema: dict[str, Any]) -> None:
    schema.pop("additionalProperties", None)


class _Answer(BaseModel):
    # Built from the routes' own values with nothing left out (a member a producer adds and the
    # model lacks fails the tests; ignored, it would vanish from the answer unseen); the document
    # does not forbid other members, so a client generated today reads a later version's answers.
    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, json_schema_extra=_open_to_additions
    )


def answered(answer: BaseModel, status: int = 200) -> web.Response:
    """A route's answer as its model dumps it (members by their names in the document: `from`)."""
    return web.json_response(text=answer.model_dump_json(by_alias=True), status=status)


class PackSummary(_Answer):
    """`POST /v1/rules/validate`: the pack is valid (problems answer 422)."""

    valid: Literal[True]
    name: str
    hash: str
    rules: int
    tests: int


class IntentScore(_Answer):
    intent: str
    examples: int
    precision: float | None
    """Of the held-out examples classified as this intent, the share that were (null: none were)."""
    recall: float
    confused_with: str | None
    """The other intent it is mistaken for most in cross-validation, either way (null: never)."""
    weak: bool
    """Below the pack's gate (`triage.min_precision`, `min_recall`): `rules check` warns of it."""


class IntentGate(_Answer):
    """The pack's `triage.min_precision` and `min_recall` (null: not set, nothing refused)."""

    min_precision: float | None
    min_recall: float | None


class IntentReport(_Answer):
    """The pack's intent model, cross-validated on its own examples."""

    model: str
    folds: int
    intents: list[IntentScore]
    gate: IntentGate


class CaseOutcome(_Answer):
    name: str
    passed: bool
    failures: list[str]
    """Each difference from what the case expects, in words."""
    decision: DecisionRecord


class TestReport(_Answer):
    """`POST /v1/rules/test`: each test case of the pack, run."""

    __test__ = False  # not a pytest class, whatever its name says

    passed: int
    failed: int
    cases: list[CaseOutcome]
    intents: IntentReport | None
    """Null for a pack without intents."""


class SimulatedEvent(_Answer):
    event: str
    matched: list[str]
    actions: list[dict[str, Any]]


class SimulatedConversation(_Answer):
    id: str
    events: list[SimulatedEvent]
    """The decisions on its events from outside, each followed by those on the status changes it makes."""


class SimulationTotals(_Answer):
    conversations: int
    events: int
    tagged: int
    replied: int
    escalated: int
    surveyed: int
    closed: int
    errors: int
    """Rule conditions that failed to evaluate."""
    routed: dict[str, int]
    """Conversations per team they would end up routed to."""
    tags: dict[str, int]


class SimulationReport(_Answer):
    """`POST /v1/rules/simulate`: what the pack would have done to the recorded conversations."""

    conversations: list[SimulatedConversation]
    totals: SimulationTotals


class DecisionChange(_Answer):
    conversation: str
    event_index: int
    event: str
    seq: int | None = None
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
    matched_before: list[str]
    matched_after: list[str]


class DiffReport(_Answer):
    """`POST /v1/rules/diff`: every recorded event whose actions differ between `old` and `new`."""

    changed_conversations: int
    changes: list[DecisionChange]


class RuleCases(_Answer):
    evaluated: int
    """Cases whose decision evaluated the rule (it was listening and not after a `stop`)."""
    matched: list[str]
    """Names of the cases it matched in."""
    failed: list[str]
    """Names of the cases its condition failed to evaluate in."""
    disagreed: list[str]
    """Cases whose trace did not give the recorded outcome (never expected; covers nothing)."""


class UncoveredBranch(_Answer):
    path: str
    outcome: bool
    """The condition's outcome at `path` that no test case gave."""


class BranchCoverage(_Answer):
    covered: int
    total: int
    uncovered: list[UncoveredBranch]


class RuleTraffic(_Answer):
    fired: int
    """Decisions it matched in (its actions were decided)."""
    evaluated: int
    """Decisions that evaluated it (matched, not matched or failed; not those after a `stop`)."""
    failed: int
    """Decisions its condition failed to evaluate in."""
    conversations: int
    """Conversations it fired in at least once."""


class RuleCoverage(_Answer):
    id: str
    path: str
    on: list[str]
    tested: bool
    cases: RuleCases
    branches: BranchCoverage
    traffic: RuleTraffic | None
    """Null unless the request asked for `traffic`."""


class CoveredPack(_Answer):
    name: str
    version: str
    hash: str


class CaseTotals(_Answer):
    cases: int
    failed: list[str]
    """Names of the test cases that fail."""


class BranchTotals(_Answer):
    covered: int
    total: int


class CoverageSummary(_Answer):
    rules: int
    tested: int
    untested: list[str]
    branches: BranchTotals
    never_fired: list[str] | None
    """With `traffic`: the rules that fired on none of the period's decisions."""


class TrafficCounted(_Answer):
    tenant: str
    from_: str = Field(alias="from")
    to: str
    conversations: int
    decisions: int
    packs: dict[str, int]
    """Decisions per pack hash they were taken with."""
    other_rules: dict[str, int]
    """Times rules the pack does not have fired (an earlier version's, or another pack's)."""
    truncated: bool
    """More conversations had activity in the period than were read (the reader's bound)."""
    unanswered_runs: int
    """Runs whose trail could not be read (left out of the counts)."""


class CoverageReport(_Answer):
    """`POST /v1/rules/coverage`: which rules and branches the test cases exercise, and with
    `traffic`, how often each rule fired in the period."""

    pack: CoveredPack
    tests: CaseTotals
    summary: CoverageSummary
    rules: list[RuleCoverage]
    traffic: TrafficCounted | None


class Published(_Answer):
    """`POST /v1/rules/publish` 201: the pack is active."""

    hash: str
    active: Literal[True]
    warnings: list[Finding]
    """`rules check`'s warnings (the tenant's roster included): published all the same."""


class Proposed(_Answer):
    """A publish or promotion of a tenant that requires approval (202): proposed, not active."""

    hash: str
    active: Literal[False]
    proposal_id: str
    status: str
    href: str
    message: str
    """Who may approve it, and the route to do so."""


class Promoted(_Answer):
    """`POST /v1/rules/shadow/promote`: the shadow pack is active."""

    hash: str
    active: Literal[True]
    promoted_by: str


class ShadowPublished(_Answer):
    """`POST /v1/rules/shadow` 201: every live decision is also taken with the candidate."""

    hash: str
    shadow: Literal[True]
    active: Literal[False]


class ShadowCandidate(_Answer):
    hash: str
    name: str
    version: str
    tests: int
    """How many test cases came with it: promotion runs them."""
    published_by: str | None
    published_at: str


class ShadowShown(_Answer):
    """`GET /v1/rules/shadow`."""

    shadow: ShadowCandidate | None


class ShadowStopped(_Answer):
    """`DELETE /v1/rules/shadow`."""

    stopped: bool
    """Whether there was a shadow pack."""


class Tally(_Answer):
    compared: int
    differ: int
    rate: float
    examples: list[str]
    """Up to 5 conversations where they differ."""


class EventTally(Tally):
    event: str


class LivePackTally(Tally):
    live_hash: str


class RuleTally(Tally):
    rule: str
    errors: int
    """Decisions where the rule's condition failed in the candidate."""


class ShadowReport(_Answer):
    """`GET /v1/rules/shadow/report`."""

    tenant: str
    from_: str = Field(alias="from")
    to: str
    shadow_hash: str | None
    total: Tally
    by_event: list[EventTally]
    by_live_pack: list[LivePackTally]
    by_rule: list[RuleTally]
