"""The pack workbench: edit a pack, see its problems at their lines, its tests, check and coverage;
publish it as shadow, read how the shadow differs on live traffic, promote it.

Every step is the API's own: the pack runs in a pack worker as `POST /v1/rules/check`, `/test` and
`/coverage` run it (engine/api/pack_jobs.py), and publishing as shadow and promoting go through the
same functions as `POST /v1/rules/shadow` and `/shadow/promote` (engine/api/rules_shadow.py), so the
same refusals (a check error, a failing test, an agent the pack drops) come back here, named.
The live traffic a candidate is judged on is the shadow report: every live decision taken again
with the candidate, never executed.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from engine.api.active_packs import ACTIVE_PACKS
from engine.api.auth import ROLE, TENANT
from engine.api.console.render import page, see_other
from engine.api.console.sessions import SESSION
from engine.api.conversations import DATABASE, SETTINGS
from engine.api.errors import ApiError, body_too_large, named
from engine.api.pack_jobs import job_failure
from engine.api.pack_parsing import PACK_WORKERS
from engine.api.rules_proposals import approve, reject
from engine.api.rules_shadow import promote, store_shadow
from engine.db.packs import PackStore
from engine.db.proposals import Proposal, ProposalStore
from engine.db.shadow import ShadowStore
from engine.kpis.query import KpiQueryError, parse_query
from engine.rules.loader import PackLoadError, load_text
from engine.rules.shadow_report import report
from engine.rules.validation import validate
from engine.service.pack_files import TESTS_FILE

routes = web.RouteTableDef()
CHANGES_PACKS = frozenset({"ops", "admin"})
REPORT_DAYS = 7


def _yaml_of(canonical: dict[str, Any]) -> str:
    return yaml.safe_dump(canonical, sort_keys=False, allow_unicode=True, width=110)


def _files_text(source: str | None, expected: str) -> str | None:
    """The YAML of a version published from files (the shipped pack, a CLI folder) as its authors
    wrote it, comments and key order kept, its `tests.yaml` under `tests:`: when the files on this
    host still read as that version. The editor showed it re-serialised, comments gone and the
    weekdays sorted fri, mon, sat (helper-118)."""
    if not source or not (path := Path(source)).exists():
        return None
    main = path / "pack.yaml" if path.is_dir() else path
    tests = path / TESTS_FILE if path.is_dir() else None
    try:
        text = main.read_text(encoding="utf-8")
        if tests is not None and tests.is_file():
            text = (
                text.rstrip("\n") + "\n\ntests:\n" + textwrap.indent(tests.read_text(encoding="utf-8"), "  ")
            )
        pack, problems = validate(load_text(text, main.name))
    except (OSError, UnicodeError, PackLoadError):
        return None
    return text if pack is not None and not problems and pack.content_hash == expected else None


async def _form_pack(request: web.Request) -> str:
    limit = request.app[SETTINGS].max_rules_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise body_too_large(limit)
    text = (await request.post()).get("pack")
    return text if isinstance(text, str) else ""


async def _job(request: web.Request, job: str, text: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    raw = json.dumps({"pack": text, **extra}).encode()
    result = await request.app[PACK_WORKERS].run(job, raw)
    return result.status, json.loads(result.body)


async def _state(request: web.Request) -> dict[str, Any]:
    """What the page shows whatever was asked: the active pack, the shadow pack and its report."""
    tenant, database = request[TENANT], request.app[DATABASE]
    store, shadows = PackStore(database), ShadowStore(database)
    active_hash = await request.app[ACTIVE_PACKS].hash_for(tenant)
    versions = await store.versions(tenant)
    active = next((v for v in versions if v.hash == active_hash), None)
    shadow = await shadows.current(tenant)
    period = _period(request)
    differences = None
    if shadow is not None and isinstance(period, tuple):
        rows = await shadows.comparisons(tenant, period[0], period[1], shadow.hash)
        differences = await asyncio.to_thread(report, rows)
    return {
        "session": request[SESSION],
        "may_change": request[ROLE] in CHANGES_PACKS,
        "active": active,
        "active_yaml": await store.text_of(active_hash, tenant)
        or await asyncio.to_thread(_files_text, active.source if active else None, active_hash)
        or _yaml_of((await store.version(active_hash, tenant)).as_written()),
        "shadow": shadow,
        "differences": differences,
        "period": {
            "from": request.query.get("from", ""),
            "to": request.query.get("to", ""),
            "error": period if isinstance(period, str) else None,
        },
        "versions": versions[-10:][::-1],
        "proposals": await _pending(ProposalStore(database), tenant),
        "text": None,
        "results": None,
        "message": None,
        "refusal": None,
    }


async def _pending(store: ProposalStore, tenant: str) -> list[Proposal]:
    """The pending proposals with their diffs: an approver saw a name and a hash, not what changes."""
    return [await store.get(tenant, p.id) for p in await store.list(tenant, "pending")]


def _period(request: web.Request) -> tuple[datetime, datetime] | str:
    """The shadow report's period: `from`/`to` (whole UTC days, `to` included) or the last 7 days;
    a text naming the field when it cannot be used."""
    now = datetime.now(UTC)
    start, end = request.query.get("from"), request.query.get("to")
    try:
        last = date.fromisoformat(end) + timedelta(days=1) if end else None
        query = parse_query(
            start=start or (now - timedelta(days=REPORT_DAYS)).isoformat(),
            end=last.isoformat() if last else None,
            group_by=None,
            interval=None,
            now=now,
        )
    except KpiQueryError as exc:  # a ValueError too: first, or a bad `from` read as `to`'s
        return f"{exc.parameter}: {exc.message}"
    except ValueError:
        return (
            f"to: {end[:40]!r} is not a date (write YYYY-MM-DD, such as 2026-11-30)"
            if end
            else "to: not a date"
        )
    return query.start, query.end


@routes.get("/console/rules")
async def workbench(request: web.Request) -> web.Response:
    values = await _state(request)
    values["message"] = {
        "shadow": "Published as shadow.",
        "promoted": "Promoted: it is the active pack now.",
        "proposed": "Proposed for approval: this tenant requires four-eyes publishing, so the pack "
        "becomes active when another ops or admin key approves the proposal (below).",
        "approved": "Approved: the proposed pack is the active pack now.",
        "rejected": "Rejected: nothing changed.",
    }.get(request.query.get("done", ""))
    values["text"] = values["active_yaml"]
    return page(request, "workbench.html.j2", values)


@routes.post("/console/rules/check")
async def check(request: web.Request) -> web.Response:
    """Problems at their lines, the check's findings, the test results and the tests' coverage."""
    text = await _form_pack(request)
    values = await _state(request)
    values["text"] = text
    status, checked = await _job(request, "check", text)
    results: dict[str, Any] = {"problems": [], "findings": [], "tests": None, "coverage": None}
    if status != 200:
        results["problems"] = checked.get("fields") or named("pack", str(checked.get("message", "")))
    else:
        results["findings"] = checked["findings"]
        tested_status, tested = await _job(request, "test", text)
        results["tests"] = tested if tested_status == 200 else {"refused": tested.get("message")}
        covered_status, covered = await _job(request, "coverage", text)
        results["coverage"] = covered if covered_status == 200 else None
    values["results"] = results
    return page(request, "workbench.html.j2", values, status=200 if status == 200 else 422)


async def _refused(request: web.Request, text: str | None, exc: ApiError) -> web.Response:
    values = await _state(request)
    values["text"] = text if text is not None else values["active_yaml"]
    values["refusal"] = {"message": exc.message, "fields": exc.fields}
    return page(request, "workbench.html.j2", values, status=exc.status)


@routes.post("/console/rules/shadow")
async def publish_shadow(request: web.Request) -> web.Response:
    text = await _form_pack(request)
    result = await request.app[PACK_WORKERS].run("shadow", json.dumps({"pack": text}).encode())
    try:
        if result.pack is None:
            raise job_failure(result)
        await store_shadow(request, result.pack, result.text)
    except ApiError as exc:
        return await _refused(request, text, exc)
    return see_other("/console/rules?done=shadow")


@routes.post("/console/rules/promote")
async def promote_shadow(request: web.Request) -> web.Response:
    try:
        outcome = await promote(request)
    except ApiError as exc:
        return await _refused(request, None, exc)
    if isinstance(outcome, Proposal):  # four-eyes: nothing active yet
        return see_other("/console/rules?done=proposed")
    return see_other("/console/rules?done=promoted")


@routes.post("/console/rules/proposals/{proposal_id}/{decision:approve|reject}")
async def decide_proposal(request: web.Request) -> web.Response:
    """Four-eyes: another ops or admin key approves (the proposer's own key is refused) or rejects."""
    comment = (await request.post()).get("comment")
    proposal_id, decision = request.match_info["proposal_id"], request.match_info["decision"]
    decide = approve if decision == "approve" else reject
    try:
        await decide(request, proposal_id, comment[:500] if isinstance(comment, str) and comment else None)
    except ApiError as exc:
        return await _refused(request, None, exc)
    return see_other(f"/console/rules?done={decision}d")


@routes.post("/console/rules/stop-shadow")
async def stop_shadow(request: web.Request) -> web.Response:
    await ShadowStore(request.app[DATABASE]).clear(request[TENANT])
    return see_other("/console/rules")
