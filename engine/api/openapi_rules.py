"""The OpenAPI entries of the rule-pack routes (engine/api/rules.py, rules_shadow.py), in
engine/api/openapi.py's table shapes; that module merges them into its own tables (in place, so the
document keeps its order)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from engine.api.openapi_contract import query
from engine.api.pack_answers import (
    CoverageReport,
    DiffReport,
    PackSummary,
    Promoted,
    Published,
    ShadowPublished,
    ShadowReport,
    ShadowShown,
    ShadowStopped,
    SimulationReport,
    TestReport,
)
from engine.api.pack_requests import CoverageRequest, DiffRequest, PackRequest, SimulateRequest
from engine.api.rules import ActivationList, VersionList
from engine.rules.analysis import CheckReport

RULES_ROUTES: dict[tuple[str, str], tuple[str, type[BaseModel] | None, type[BaseModel] | None, int]] = {
    ("POST", "/v1/rules/validate"): ("Validate a rule pack", PackRequest, PackSummary, 200),
    ("POST", "/v1/rules/check"): (
        "Static analysis of a pack: every finding (error, warning, info) with its code, rules and path, "
        "the tenant's roster included; publishing refuses a pack with an error finding (422 check_failed)",
        PackRequest,
        CheckReport,
        200,
    ),
    ("POST", "/v1/rules/test"): (
        "Run a pack's test cases (422 `no_test_cases` if it has none)",
        PackRequest,
        TestReport,
        200,
    ),
    ("POST", "/v1/rules/simulate"): (
        "Run recorded conversations through a pack",
        SimulateRequest,
        SimulationReport,
        200,
    ),
    ("POST", "/v1/rules/diff"): ("Decisions that change between two packs", DiffRequest, DiffReport, 200),
    ("POST", "/v1/rules/coverage"): (
        "Which rules and condition branches the pack's test cases exercise (per rule: tested, branches "
        "covered/total and the uncovered ones by path); with `traffic`, how often each rule fired on "
        "the caller's tenant's decisions in the period",
        CoverageRequest,
        CoverageReport,
        200,
    ),
    ("POST", "/v1/rules/publish"): (
        "Publish a pack whose test cases pass (201, with `rules check`'s `warnings`; 422 `not_tested` "
        'without test cases, 409 `tests_failed`); `{"pack": "<hash or its first 7+ digits>"}` rolls '
        "back to a version, rerunning the tests it was published with; for a tenant that requires "
        "approval, a proposal instead (202)",
        PackRequest,
        Published,
        201,
    ),
    ("GET", "/v1/rules/versions"): (
        "Published pack versions (with proposer, approver)",
        None,
        VersionList,
        200,
    ),
    ("GET", "/v1/rules/activations"): (
        "Every activation of the tenant's packs, oldest first: which pack was live when, who made it so",
        None,
        ActivationList,
        200,
    ),
    ("POST", "/v1/rules/shadow"): (
        "Publish a pack as the tenant's shadow pack: every live decision is also taken with it (never "
        "executed) and the difference recorded; refused when `rules check` finds an error",
        PackRequest,
        ShadowPublished,
        201,
    ),
    ("GET", "/v1/rules/shadow"): ("The tenant's shadow pack, or null", None, ShadowShown, 200),
    ("DELETE", "/v1/rules/shadow"): (
        "Stop the shadow pack (`stopped`: whether there was one)",
        None,
        ShadowStopped,
        200,
    ),
    ("GET", "/v1/rules/shadow/report"): (
        "How the shadow pack's decisions differ from the live ones: per rule, per event type and in "
        "total, decisions compared, differing, the rate and up to 5 example conversations",
        None,
        ShadowReport,
        200,
    ),
    ("POST", "/v1/rules/shadow/promote"): (
        "Make the shadow pack active when its test cases pass and its check has no error (422 names "
        "each failure); 404 without a shadow pack; for a tenant that requires approval, a proposal (202)",
        None,
        Promoted,
        200,
    ),
}
# Query parameters, by route.
RULES_PARAMETERS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("GET", "/v1/rules/shadow/report"): [
        query(
            "from", "Start (ISO time or date, UTC when no zone); default: 7 days before `to`", type="string"
        ),
        query("to", "End, exclusive; default: now", type="string"),
        query(
            "hash",
            "The candidate whose comparisons to count; default: the current shadow pack (every candidate's "
            "when there is none)",
            type="string",
            pattern="^[0-9a-f]{64}$",
        ),
    ],
}
