"""Rule-pack routes for ops tools: the CLI's validate, test, simulate, diff, publish and list over HTTP.

A pack travels as YAML text (`"pack": "meta: ..."`, so problems carry line numbers) or as a JSON
object. Problems come back as a 422 with one entry per problem, each naming its path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import KEY_ID, TENANT
from engine.api.conversations import DATABASE, SETTINGS, read_body
from engine.api.errors import ApiError
from engine.db.packs import PackStore
from engine.rules.casetest import run_cases
from engine.rules.decision import CompiledPack
from engine.rules.loader import PackLoadError, PackSource, Problem, load_text
from engine.rules.pack import RulePack
from engine.rules.simulation import RecordedConversation, diff, simulate
from engine.rules.validation import validate

routes = web.RouteTableDef()


class PackRequest(BaseModel):
    pack: str | dict[str, Any] = Field(description="The pack as YAML text or a JSON object.")


class SimulateRequest(PackRequest):
    conversations: list[RecordedConversation] = Field(max_length=5000)


class DiffRequest(BaseModel):
    old: str | dict[str, Any]
    new: str | dict[str, Any]
    conversations: list[RecordedConversation] = Field(max_length=5000)


def _problems(problems: list[Problem], field: str) -> ApiError:
    return ApiError(
        422,
        "invalid_pack",
        f"the pack in `{field}` has {len(problems)} problem(s)",
        [
            {
                "field": f"{field}.{p.path}" if p.path else field,
                "message": p.message,
                **({"line": p.line} if p.line else {}),
            }
            for p in problems
        ],
    )


def pack_from(value: str | dict[str, Any], field: str = "pack") -> RulePack:
    try:
        source = load_text(value) if isinstance(value, str) else PackSource(Path(f"<{field}>"), value)
        pack, problems = validate(source)
    except PackLoadError as exc:
        raise _problems(exc.problems, field) from None
    if problems or pack is None:
        raise _problems(problems, field)
    return pack


def _limit(request: web.Request) -> int:
    return request.app[SETTINGS].max_rules_body_bytes


@routes.post("/v1/rules/validate")
async def validate_pack(request: web.Request) -> web.Response:
    pack = pack_from((await read_body(request, PackRequest, _limit(request))).pack)
    return web.json_response(
        {
            "valid": True,
            "name": pack.meta.name,
            "hash": pack.content_hash,
            "rules": len(pack.rules),
            "tests": len(pack.tests),
        }
    )


@routes.post("/v1/rules/test")
async def test_pack(request: web.Request) -> web.Response:
    pack = pack_from((await read_body(request, PackRequest, _limit(request))).pack)
    if not pack.tests:  # "0 passed, 0 failed" would read as a pass
        raise ApiError(
            422,
            "no_test_cases",
            "the pack has no test cases to run; add them under `tests:`",
            [{"field": "pack.tests", "message": "no test cases"}],
        )
    results = run_cases(CompiledPack(pack), pack.tests)
    return web.json_response(
        {
            "passed": sum(r.passed for r in results),
            "failed": sum(not r.passed for r in results),
            "cases": [
                {
                    "name": r.name,
                    "passed": r.passed,
                    "failures": r.failures,
                    "decision": json.loads(r.decision.model_dump_json()),
                }
                for r in results
            ],
        }
    )


@routes.post("/v1/rules/simulate")
async def simulate_pack(request: web.Request) -> web.Response:
    body = await read_body(request, SimulateRequest, _limit(request))
    rows, totals = simulate(CompiledPack(pack_from(body.pack)), body.conversations)
    return web.json_response(
        {
            "conversations": rows,
            "totals": {**totals.__dict__, "routed": dict(totals.routed), "tags": dict(totals.tags)},
        }
    )


@routes.post("/v1/rules/diff")
async def diff_packs(request: web.Request) -> web.Response:
    body = await read_body(request, DiffRequest, _limit(request))
    changes = diff(
        CompiledPack(pack_from(body.old, "old")), CompiledPack(pack_from(body.new, "new")), body.conversations
    )
    return web.json_response(
        {
            "changed_conversations": len({c.conversation for c in changes}),
            "changes": [c.__dict__ for c in changes],
        }
    )


@routes.post("/v1/rules/publish")
async def publish_pack(request: web.Request) -> web.Response:
    pack = pack_from((await read_body(request, PackRequest, _limit(request))).pack)
    failed = [r.name for r in run_cases(CompiledPack(pack), pack.tests) if not r.passed]
    if failed:
        raise ApiError(
            409,
            "tests_failed",
            "not published: test cases fail",
            [{"field": "pack.tests", "message": name} for name in failed],
        )
    tenant = request[TENANT]
    digest = await PackStore(request.app[DATABASE]).publish(
        tenant, pack, published_by=f"api:{tenant}/{request[KEY_ID]}", source=f"POST {request.path}"
    )
    return web.json_response({"hash": digest, "active": True}, status=201)


@routes.get("/v1/rules/versions")
async def list_versions(request: web.Request) -> web.Response:
    """The caller's tenant's versions only, with who published each and when."""
    versions = await PackStore(request.app[DATABASE]).versions(request[TENANT])
    return web.json_response({"versions": [v.__dict__ for v in versions]})
