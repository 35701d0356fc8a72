"""Rule-pack routes for ops tools: the CLI's validate, check, test, simulate, diff, coverage, publish and
list over HTTP.

A pack travels as YAML text (`"pack": "meta: ..."`, so problems carry line numbers) or as a JSON
object. Problems come back as a 422 with one entry per problem, each naming its path.

The handlers only read the body and pass its bytes to a pack worker (engine/api/pack_parsing.py),
which decodes, parses, validates and runs it (engine/api/pack_jobs.py) under a time and memory
limit: nothing a pack contains runs on the event loop. Publishing stores the checked pack here, or,
for a tenant that requires approval, proposes it (202, engine/api/rules_proposals.py).
"""

from __future__ import annotations

import json
import re

from aiohttp import web
from pydantic import BaseModel
from temporalio.service import RPCError

from engine.api.active_packs import ACTIVE_PACKS
from engine.api.auth import KEY_ID, TENANT
from engine.api.conversations import CLIENT, DATABASE, SETTINGS
from engine.api.errors import ApiError, body_too_large, invalid_field, unavailable
from engine.api.pack_answers import CoverageReport, Published, answered
from engine.api.pack_jobs import JobResult
from engine.api.pack_parsing import PACK_WORKERS
from engine.api.pack_requests import CoverageRequest, DiffRequest, PackRequest, SimulateRequest
from engine.api.pages import paged
from engine.api.rules_proposals import proposal_answer, propose_if_required
from engine.db.pack_history import Activation, activations
from engine.db.packs import PackStore, PublishedVersion
from engine.db.roster import RosterStore
from engine.rules.analysis import CheckReport, Roster
from engine.rules.analysis.findings import Finding
from engine.rules.analysis.roster import roster_findings
from engine.rules.coverage import add_traffic, rule_ids
from engine.rules.pack import RulePack
from engine.service import rule_traffic
from engine.service.roster_rules import unknown_agents

__all__ = [
    "ActivationList",
    "CoverageRequest",
    "DiffRequest",
    "PackRequest",
    "SimulateRequest",
    "VersionList",
    "routes",
]

routes = web.RouteTableDef()


class VersionList(BaseModel):
    """A page of the tenant's published versions, oldest first."""

    versions: list[PublishedVersion]
    next: str | None


class ActivationList(BaseModel):
    """A page of every activation of the tenant's packs, oldest first."""

    activations: list[Activation]
    next: str | None


# A body naming a published version by the hash `GET /v1/rules/versions` lists, or its first 7 or
# more digits (as `rules list` and `rules proposals` show it): a rollback.
NAMED_VERSION = re.compile(rb'\s*\{\s*"pack"\s*:\s*"([0-9a-f]{7,64})"\s*\}\s*')


async def _in_worker(request: web.Request, job: str) -> JobResult:
    """Run `job` on the request's raw body (413 over max_rules_body_bytes) in a pack worker; a body
    naming a published version by its hash runs on that version, as the CLI's `rules test <hash>`."""
    return await request.app[PACK_WORKERS].run(job, await _version_named(request, await _body(request)))


async def _body(request: web.Request) -> bytes:
    limit = request.app[SETTINGS].max_rules_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise body_too_large(limit)
    raw = await request.read()
    if len(raw) > limit:
        raise body_too_large(limit)
    return raw


async def _version_named(request: web.Request, raw: bytes) -> bytes:
    """`{"pack": "<hash>"}` names a version the tenant published: to publish, a rollback, as
    `convoflow rules publish <hash>` is (checked and, with four-eyes, proposed as any publish: a
    tenant that requires approval had no way back to an earlier hash); to validate, check, test or
    cover, that version with the tests it was published with (it answered "a pack is a mapping")."""
    # Matched on the bytes, not parsed here: any other body (a hostile one too) is the pack worker's
    # to read, never this process's event loop.
    named = NAMED_VERSION.fullmatch(raw)
    if named is None:
        return raw
    prefix, store, tenant = named.group(1).decode(), PackStore(request.app[DATABASE]), request[TENANT]
    found = await store.hashes_beginning(prefix, tenant=tenant)
    if not found:
        raise invalid_field("pack", "no version of this tenant has this hash (GET /v1/rules/versions)")
    if len(found) > 1:
        raise invalid_field("pack", f"{len(found)} versions' hashes begin so: write more digits")
    # With the test cases the tenant published it with: the publish job reruns them.
    pack = await store.version(found[0], tenant)
    return json.dumps({"pack": pack.as_written()}).encode()


def _answer(result: JobResult) -> web.Response:
    return web.Response(body=result.body, status=result.status, content_type="application/json")


async def _run(request: web.Request, job: str) -> web.Response:
    return _answer(await _in_worker(request, job))


@routes.post("/v1/rules/validate")
async def validate_pack(request: web.Request) -> web.Response:
    return await _run(request, "validate")


@routes.post("/v1/rules/check")
async def check_pack(request: web.Request) -> web.Response:
    """The static analysis (in a pack worker), plus the tenant's roster against the pack (here: it is
    a database read, and the worker has no database)."""
    result = await _in_worker(request, "check")
    if result.status != 200 or result.pack is None:
        return _answer(result)
    report = CheckReport.model_validate_json(result.body)
    extra = await _roster_findings(request, result.pack)
    return web.json_response(CheckReport.of([*report.findings, *extra]).model_dump(mode="json"))


async def _roster_findings(request: web.Request, pack: RulePack) -> list[Finding]:
    """What the caller's tenant's roster says of the pack (a database read: the workers have none)."""
    tenant = request[TENANT]
    agents = [a.record for a in await RosterStore(request.app[DATABASE]).list(tenant)]
    return list(roster_findings(pack, Roster(tenant, agents), ""))


@routes.post("/v1/rules/test")
async def test_pack(request: web.Request) -> web.Response:
    return await _run(request, "test")


@routes.post("/v1/rules/simulate")
async def simulate_pack(request: web.Request) -> web.Response:
    return await _run(request, "simulate")


@routes.post("/v1/rules/diff")
async def diff_packs(request: web.Request) -> web.Response:
    return await _run(request, "diff")


@routes.post("/v1/rules/coverage")
async def coverage(request: web.Request) -> web.Response:
    """The pack's test coverage (a pack worker), plus the caller's tenant's traffic when asked."""
    result = await _in_worker(request, "coverage")
    if result.status != 200 or result.period is None:
        return _answer(result)
    report = json.loads(result.body)  # a CoverageReport's, which `add_traffic` completes
    tenant = request[TENANT]
    try:
        counts = await rule_traffic.traffic(request.app[CLIENT], tenant, rule_ids(report), result.period)
    except (RPCError, RuntimeError) as exc:
        raise unavailable(
            "temporal_unavailable", f"the decision trails could not be read ({type(exc).__name__}); retry"
        ) from None
    return answered(CoverageReport.model_validate(add_traffic(report, counts, tenant=tenant)))


@routes.post("/v1/rules/publish")
async def publish_pack(request: web.Request) -> web.Response:
    result = await _in_worker(request, "publish")
    if result.pack is None:
        return _answer(result)
    tenant = request[TENANT]
    if problems := await unknown_agents(request.app[DATABASE], tenant, result.pack):
        fields = [{"field": f"pack.{p.field}", "message": p.message} for p in problems]
        raise ApiError(422, "invalid_pack", f"the pack in `pack` has {len(problems)} problem(s)", fields)
    proposal = await propose_if_required(request, result.pack, "publish", text=result.text)
    if proposal is not None:
        return proposal_answer(request, proposal)
    digest = await PackStore(request.app[DATABASE]).publish(
        tenant,
        result.pack,
        published_by=f"api:{tenant}/{request[KEY_ID]}",
        source=f"POST {request.path}",
        text=result.text,
    )
    request.app[ACTIVE_PACKS].forget(tenant)  # this process's next new conversation pins it at once
    roster = [f for f in await _roster_findings(request, result.pack) if f.severity == "warning"]
    warnings = [*(Finding.model_validate(f) for f in json.loads(result.body or b"[]")), *roster]
    return answered(Published(hash=digest, active=True, warnings=warnings), status=201)


@routes.get("/v1/rules/versions")
async def list_versions(request: web.Request) -> web.Response:
    """The caller's tenant's versions only, with who published each and when."""
    versions = await PackStore(request.app[DATABASE]).versions(request[TENANT])
    shown, after = paged(request, versions, lambda v: [v.published_at, v.hash], 2)
    return web.json_response(VersionList(versions=shown, next=after).model_dump(mode="json"))


@routes.get("/v1/rules/activations")
async def list_activations(request: web.Request) -> web.Response:
    """Every activation of the caller's tenant's packs, oldest first: which pack was live when, and
    who made it so (a version shows only its latest activation)."""
    found = await activations(request.app[DATABASE], request[TENANT])
    shown, after = paged(request, found, lambda a: [a.activated_at, a.hash], 2)
    return web.json_response(ActivationList(activations=shown, next=after).model_dump(mode="json"))
