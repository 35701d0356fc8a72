"""What the /v1/rules routes do with a request body, run inside a pack worker process.

Everything a hostile body can make expensive happens here, away from the event loop: decoding the
JSON, parsing the pack's YAML, validating it, compiling its conditions and running its test cases,
simulations and diffs. Each job takes the raw body and returns a `JobResult` whose body is already
JSON, so the API process only moves bytes (see engine/api/pack_parsing.py for the pool and its
time and memory limits). Problems answer exactly as before: 422 with one entry per problem, each
naming its path (and line when the pack is YAML text).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.api.errors import ApiError, named, validation_error
from engine.api.json_body import json_object
from engine.api.pack_answers import (
    CaseOutcome,
    CoverageReport,
    DiffReport,
    IntentReport,
    PackSummary,
    SimulationReport,
    TestReport,
)
from engine.api.pack_requests import CoverageRequest, DiffRequest, PackRequest, SimulateRequest
from engine.rules.analysis import CheckReport, analyse, checked
from engine.rules.analysis.findings import ROSTER_SKIPPED
from engine.rules.casetest import run_cases
from engine.rules.coverage import case_coverage, document
from engine.rules.coverage.period import PeriodError, TrafficPeriod, traffic_period
from engine.rules.decision import CompiledPack, DecisionRecord
from engine.rules.loader import (
    MAX_DEPTH,
    PackLoadError,
    PackSource,
    Problem,
    format_path,
    load_object,
    load_text,
    nesting_problem,
)
from engine.rules.pack import RulePack
from engine.rules.promotion import promotion_blockers
from engine.rules.simulation import diff, simulate
from engine.rules.triage import intent_report
from engine.rules.validation import validate


@dataclass(frozen=True)
class JobResult:
    """An answer ready to send: status and JSON body; for publish, the pack to store."""

    status: int
    body: bytes
    pack: RulePack | None = None
    period: TrafficPeriod | None = None
    """For coverage: the traffic to count, which the API process reads from Temporal."""
    text: str | None = None
    """For publish and shadow: the YAML the pack came as (stored with it: the console's editor opens
    it with its comments), None when it came as JSON."""


def _json(status: int, data: Any, pack: RulePack | None = None) -> JobResult:
    return JobResult(status, json.dumps(data).encode(), pack)


def _answer(answer: BaseModel) -> JobResult:
    """200 with a route's answer model (engine/api/pack_answers.py), as the document describes it."""
    return JobResult(200, answer.model_dump_json(by_alias=True).encode())


def job_failure(result: JobResult) -> ApiError:
    """A pack worker's refusal as the error it stands for, where a caller needs the pack to go on."""
    body = json.loads(result.body)
    return ApiError(
        result.status, body.get("error", "invalid_pack"), body.get("message", ""), body.get("fields")
    )


def _error(exc: ApiError) -> JobResult:
    body: dict[str, Any] = {"error": exc.code, "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    return _json(exc.status, body)


# Body nesting: the pack sits one level below the body (`{"pack": {...}}`).
BODY_DEPTH = MAX_DEPTH + 1
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]')


def _too_deep(raw: bytes) -> ApiError:
    """Where a body too deep for `json` to decode crosses BODY_DEPTH, found by a flat token scan."""
    text = raw.decode(errors="replace")
    path: list[str | int] = []
    frames: list[list[Any]] = []  # [kind, index or last key]
    last_string = ""
    line = None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "{[":
            if frames:
                path.append(frames[-1][1])
            frames.append([token, 0 if token == "[" else ""])
            if len(frames) > BODY_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                break
        elif token in "}]":
            frames.pop() if frames else None
            path.pop() if path else None
        elif token == ",":
            if frames and frames[-1][0] == "[":
                frames[-1][1] += 1
        elif token == ":":
            if frames:
                frames[-1][1] = last_string
        else:
            last_string = json.loads(token)
    where = format_path(path) or "body"
    message = f"nested deeper than {MAX_DEPTH} levels"
    field = {"field": where, "message": message, **({"line": line} if line else {})}
    return ApiError(422, "invalid_request", f"{where}: {message}", [field])


def _not_json(name: str) -> Any:
    # Python's json reads NaN and Infinity; JSON (and PostgreSQL's jsonb, where packs are stored) does not.
    raise ApiError(400, "malformed_json", f"request body is not valid JSON: {name}", named("body", name))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A name twice in one object: Python's json kept the last value, so a pack posted with two
    # "rules" lost the first without a word (its YAML reading refuses the same, engine/yaml12).
    data = dict(pairs)
    if len(data) < len(pairs):
        seen: set[str] = set()
        twice = ""
        for name, _ in pairs:  # linear: an object of a million names is within the body limit
            if name in seen:
                twice = name
                break
            seen.add(name)
        message = f"the name {twice[:64]!r} twice in one object: the first value would be lost"
        raise ApiError(422, "invalid_request", f"body: {message}", named("body", message))
    return data


def decode(raw: bytes) -> dict[str, Any]:
    """The JSON object in a body, as engine/api/conversations.py reads it, plus a nesting limit."""
    data = json_object(raw, too_deep=_too_deep, parse_constant=_not_json, object_pairs_hook=_unique_keys)
    if problem := nesting_problem(data, BODY_DEPTH):
        message = f"nested deeper than {MAX_DEPTH} levels"  # counted from the pack, as in YAML
        raise ApiError(
            422,
            "invalid_request",
            f"{problem.path}: {message}",
            named(problem.path, message),
        )
    return data


Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _field(problem: Problem, field: str) -> dict[str, Any]:
    where = f"{field}.{problem.path}" if problem.path else field
    return {"field": where, "message": problem.message, **({"line": problem.line} if problem.line else {})}


def _problems(problems: list[Problem], field: str) -> ApiError:
    return ApiError(
        422,
        "invalid_pack",
        f"the pack in `{field}` has {len(problems)} problem(s)",
        [_field(p, field) for p in problems],
    )


def pack_from(value: str | dict[str, Any], field: str = "pack") -> RulePack:
    return valid_source(value, field)[0]


def valid_source(value: str | dict[str, Any], field: str = "pack") -> tuple[RulePack, PackSource]:
    """The valid pack in `field`, with the source its problems' and findings' lines come from."""
    source = source_of(value, field)
    pack, problems = validate(source)
    if problems or pack is None:
        raise _problems(problems, field)
    return pack, source


def source_of(value: str | dict[str, Any], field: str = "pack") -> PackSource:
    """The pack in `field` parsed (YAML text or a JSON object), not validated yet."""
    try:
        return load_text(value) if isinstance(value, str) else load_object(value, f"<{field}>")
    except PackLoadError as exc:
        raise _problems(exc.problems, field) from None


def _validate(raw: bytes) -> JobResult:
    pack = pack_from(validated(PackRequest, decode(raw)).pack)
    summary = PackSummary(
        valid=True, name=pack.meta.name, hash=pack.content_hash, rules=len(pack.rules), tests=len(pack.tests)
    )
    return _answer(summary)


def _test(raw: bytes) -> JobResult:
    pack = pack_from(validated(PackRequest, decode(raw)).pack)
    if not pack.tests:  # "0 passed, 0 failed" would read as a pass
        raise ApiError(
            422,
            "no_test_cases",
            "the pack has no test cases to run; add them under `tests:`",
            named("pack.tests", "no test cases"),
        )
    results = run_cases(CompiledPack(pack), pack.tests)
    intents = intent_report(pack)
    tested = TestReport(
        passed=sum(r.passed for r in results),
        failed=sum(not r.passed for r in results),
        cases=[
            CaseOutcome(
                name=r.name,
                passed=r.passed,
                failures=r.failures,
                decision=DecisionRecord.model_validate(r.decision.model_dump()),
            )
            for r in results
        ],
        intents=IntentReport.model_validate(intents) if intents else None,
    )
    return _answer(tested)


def _simulate(raw: bytes) -> JobResult:
    body = validated(SimulateRequest, decode(raw))
    rows, totals = simulate(CompiledPack(pack_from(body.pack)), body.conversations)
    simulated = {
        "conversations": rows,
        "totals": {**totals.__dict__, "routed": dict(totals.routed), "tags": dict(totals.tags)},
    }
    return _answer(SimulationReport.model_validate(simulated))


def _diff(raw: bytes) -> JobResult:
    body = validated(DiffRequest, decode(raw))
    changes = diff(
        CompiledPack(pack_from(body.old, "old")), CompiledPack(pack_from(body.new, "new")), body.conversations
    )
    changed = {"changed_conversations": len({c.conversation for c in changes}), "changes": changes}
    return _answer(DiffReport.model_validate(changed, from_attributes=True))


def _check(raw: bytes) -> JobResult:
    """Every finding of `rules check` (the API process adds the roster's), with the pack when it parsed."""
    pack, report = checked(source_of(validated(PackRequest, decode(raw)).pack), roster=None)
    findings = [f for f in report.findings if f.code != ROSTER_SKIPPED]  # the API process reads the roster
    return _json(200, CheckReport.of(findings).model_dump(mode="json"), pack)


def check_failed(report: CheckReport, refused: str = "not published") -> ApiError:
    """Publishing refused: the check's errors, each naming its path (pack.<path>) and code."""
    errors = [f for f in report.findings if f.severity == "error"]
    return ApiError(
        422,
        "check_failed",
        f"{refused}: `rules check` finds {len(errors)} error(s) in the pack",
        [
            {
                "field": f"pack.{f.path}" if f.path else "pack",
                "message": f"{f.code}: {f.message}",
                **({"line": f.line} if f.line else {}),
            }
            for f in errors
        ],
    )


def _coverage(raw: bytes) -> JobResult:
    """The test half of a coverage report, and the checked period whose traffic the API adds."""
    body = validated(CoverageRequest, decode(raw))
    period = None
    if body.traffic is not None:
        try:
            period = traffic_period(
                start=body.traffic.from_,
                end=body.traffic.to,
                conversations=body.traffic.conversations,
                now=datetime.now(UTC),
            )
        except PeriodError as exc:
            field = f"traffic.{exc.parameter}"
            raise ApiError(
                422, "invalid_request", f"{field}: {exc.message}", named(field, exc.message)
            ) from None
    pack = pack_from(body.pack)
    report = CoverageReport.model_validate(document(pack, case_coverage(CompiledPack(pack), pack.tests)))
    return JobResult(200, report.model_dump_json(by_alias=True).encode(), period=period)


def _publishable(raw: bytes) -> JobResult:
    """A pack whose own test cases pass and whose check finds no error, for the API process to store."""
    given = validated(PackRequest, decode(raw)).pack
    pack, source = valid_source(given)
    report = CheckReport.of(analyse(pack, source=source))
    if report.errors:
        raise check_failed(report)
    if not pack.tests:  # nothing tested is not "0 failed": rules go live tested
        raise ApiError(
            422,
            "not_tested",
            "not published: the pack has no test cases; publishing needs them to pass",
            named("pack.tests", "no test cases: add them under `tests:`"),
        )
    failed = [r.name for r in run_cases(CompiledPack(pack), pack.tests) if not r.passed]
    if failed:
        raise ApiError(
            409,
            "tests_failed",
            "not published: test cases fail",
            [{"field": "pack.tests", "message": name} for name in failed],
        )
    # Its warnings go back with the answer: a publish said nothing of what `rules check` warns about.
    warned = [f.model_dump(mode="json") for f in report.findings if f.severity == "warning"]
    return JobResult(200, json.dumps(warned).encode(), pack, text=given if isinstance(given, str) else None)


def _shadowable(raw: bytes) -> JobResult:
    """A candidate for shadow mode: valid, and its check finds no error (its tests may still fail:
    promotion asks for them, not the shadow run)."""
    given = validated(PackRequest, decode(raw)).pack
    pack, source = valid_source(given)
    report = CheckReport.of(analyse(pack, source=source))
    if report.errors:
        raise check_failed(report, "not published as shadow")
    return JobResult(200, b"", pack, text=given if isinstance(given, str) else None)


def _promotable(raw: bytes) -> JobResult:
    """A shadow pack that may become active: its test cases pass and its check has no error."""
    pack = pack_from(validated(PackRequest, decode(raw)).pack)
    if blockers := promotion_blockers(pack):
        raise ApiError(
            422,
            "not_promotable",
            f"not promoted: {len(blockers)} problem(s) with the shadow pack",
            [{"field": b.field, "message": b.message} for b in blockers],
        )
    return JobResult(200, b"", pack)


JOBS = {
    "validate": _validate,
    "check": _check,
    "test": _test,
    "simulate": _simulate,
    "diff": _diff,
    "coverage": _coverage,
    "publish": _publishable,
    "shadow": _shadowable,
    "promote": _promotable,
}


def run(job: str, raw: bytes) -> JobResult:
    """The entry point a worker runs: any bad input becomes its 4xx, never an exception."""
    try:
        return JOBS[job](raw)
    except ApiError as exc:
        return _error(exc)


def ready() -> int:
    """A no-op run once per new worker, so its imports are done before a request needs it."""
    return os.getpid()
