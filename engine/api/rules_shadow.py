"""Shadow mode over HTTP: publish a candidate beside the live pack, read how it differs, promote it.

- `POST /v1/rules/shadow` (the publish body): the pack, valid and with no check error, becomes the
  tenant's shadow pack; workers decide every live decision again with it, never executing it.
- `GET /v1/rules/shadow`: the current one (or null); `DELETE /v1/rules/shadow` stops it.
- `GET /v1/rules/shadow/report?from=&to=&hash=`: per rule, per event type and in total, how many
  decisions were compared and how many differ, with example conversations (engine/rules/shadow_report.py).
- `POST /v1/rules/shadow/promote`: the shadow pack becomes active when its test cases pass and its
  check has no error (422 naming each failure otherwise), through `PackStore.activate` like a publish;
  for a tenant that requires approval, a proposal instead (202, engine/api/rules_proposals.py).

Checking and testing the pack run in a pack worker, as every /v1/rules job does.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime

from aiohttp import web

from engine.api.active_packs import ACTIVE_PACKS
from engine.api.auth import KEY_ID, TENANT
from engine.api.conversations import DATABASE
from engine.api.errors import ApiError, check_parameters, invalid_field, named
from engine.api.pack_answers import (
    Promoted,
    ShadowCandidate,
    ShadowPublished,
    ShadowReport,
    ShadowShown,
    ShadowStopped,
    answered,
)
from engine.api.pack_jobs import job_failure
from engine.api.pack_parsing import PACK_WORKERS
from engine.api.rules import _answer, _in_worker
from engine.api.rules_proposals import proposal_answer, propose_if_required
from engine.db.packs import PackStore
from engine.db.proposals import Proposal
from engine.db.shadow import AlreadyActive, ShadowStore
from engine.kpis.query import KpiQueryError, parse_query
from engine.rules.pack import RulePack
from engine.rules.shadow_report import report
from engine.service.roster_rules import unknown_agents

routes = web.RouteTableDef()
REPORT_PARAMETERS = ("from", "to", "hash")
HASH = re.compile(r"^[0-9a-f]{64}$")


def _caller(request: web.Request) -> str:
    return f"api:{request[TENANT]}/{request[KEY_ID]}"


async def _roster_problems(request: web.Request, pack: RulePack) -> None:
    """422 for agents of the tenant's roster the pack no longer serves, as publishing refuses them."""
    if problems := await unknown_agents(request.app[DATABASE], request[TENANT], pack):
        fields = [{"field": f"pack.{p.field}", "message": p.message} for p in problems]
        raise ApiError(422, "invalid_pack", f"the pack in `pack` has {len(problems)} problem(s)", fields)


def _no_shadow(tenant: str) -> ApiError:
    return ApiError(
        404,
        "no_shadow_pack",
        f"tenant {tenant} has no shadow pack; publish one with POST /v1/rules/shadow",
        named("shadow", "none"),
    )


@routes.post("/v1/rules/shadow")
async def publish_shadow(request: web.Request) -> web.Response:
    result = await _in_worker(request, "shadow")
    if result.pack is None:
        return _answer(result)
    digest = await store_shadow(request, result.pack, result.text)
    return answered(ShadowPublished(hash=digest, shadow=True, active=False), status=201)


async def store_shadow(request: web.Request, pack: RulePack, text: str | None) -> str:
    """Make a checked pack (the `shadow` job's) the caller's tenant's shadow pack, with the YAML it
    was written as; its hash."""
    await _roster_problems(request, pack)
    try:
        return await ShadowStore(request.app[DATABASE]).set(
            request[TENANT],
            pack,
            published_by=_caller(request),
            source=f"{request.method} {request.path}",
            publisher_key=request[KEY_ID],
            text=text,
        )
    except AlreadyActive as exc:
        raise ApiError(
            409, "already_active", f"not published as shadow: {exc}", named("pack", "active")
        ) from None


@routes.get("/v1/rules/shadow")
async def show_shadow(request: web.Request) -> web.Response:
    current = await ShadowStore(request.app[DATABASE]).current(request[TENANT])
    return answered(ShadowShown(shadow=ShadowCandidate(**current.__dict__) if current else None))


@routes.delete("/v1/rules/shadow")
async def stop_shadow(request: web.Request) -> web.Response:
    """Stopping is idempotent: `stopped` says whether there was one (workers stop within seconds)."""
    stopped = await ShadowStore(request.app[DATABASE]).clear(request[TENANT])
    return answered(ShadowStopped(stopped=stopped))


@routes.get("/v1/rules/shadow/report")
async def shadow_report(request: web.Request) -> web.Response:
    """The caller's tenant's comparisons only; of the current shadow pack unless `hash` names one
    (with no shadow pack and no `hash`: every candidate's comparisons in the range)."""
    check_parameters(request, REPORT_PARAMETERS)
    params = request.query
    try:
        query = parse_query(
            start=params.get("from"),
            end=params.get("to"),
            group_by=None,
            interval=None,
            now=datetime.now(UTC),
        )
    except KpiQueryError as exc:
        raise invalid_field(exc.parameter, exc.message) from None
    store = ShadowStore(request.app[DATABASE])
    tenant = request[TENANT]
    digest = params.get("hash")
    if digest is not None and not HASH.match(digest):
        raise invalid_field("hash", "a pack hash: 64 lowercase hexadecimal digits")
    if digest is None:
        digest = await store.hash_for(tenant)
    rows = await store.comparisons(tenant, query.start, query.end, digest)
    body = await asyncio.to_thread(report, rows)
    counted = {
        "tenant": tenant,
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "shadow_hash": digest,
        **body,
    }
    return answered(ShadowReport.model_validate(counted))


@routes.post("/v1/rules/shadow/promote")
async def promote_shadow(request: web.Request) -> web.Response:
    """Make the shadow pack active (tests pass, no check error), recorded as promoted by the caller;
    a proposal (202) for a tenant that requires approval."""
    outcome = await promote(request)
    if isinstance(outcome, Proposal):
        return proposal_answer(request, outcome)
    return answered(Promoted(hash=outcome, active=True, promoted_by=_caller(request)))


async def promote(request: web.Request) -> str | Proposal:
    """The promotion itself (the route's and the console's): the promoted hash, or the proposal
    made instead (four-eyes), or an ApiError naming each failed test and check error (422), or no
    shadow pack (404)."""
    tenant = request[TENANT]
    database = request.app[DATABASE]
    shadows = ShadowStore(database)
    found = await shadows.candidate(tenant)
    if found is None:
        raise _no_shadow(tenant)
    candidate, row = found
    digest = candidate.content_hash
    body = json.dumps({"pack": candidate.as_written()}).encode()
    result = await request.app[PACK_WORKERS].run("promote", body)
    if result.pack is None:
        raise job_failure(result)
    await _roster_problems(request, result.pack)
    tests = candidate.written_tests()
    proposal = await propose_if_required(request, candidate, "promote", tests, text=row.text)
    if proposal is not None:
        return proposal
    # The activation ends its shadow run (a candidate published meanwhile stays in shadow).
    await PackStore(database).activate(
        tenant, digest, activated_by=_caller(request), via="promote", text=row.text
    )
    request.app[ACTIVE_PACKS].forget(tenant)
    return digest
