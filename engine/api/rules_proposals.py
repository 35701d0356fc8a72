"""Four-eyes publishing over HTTP (issue 21): proposals, and their approval by a second key.

For a tenant with `require_approval` on (engine/db/tenant_settings.py), `POST /v1/rules/publish` and
`POST /v1/rules/shadow/promote` check the pack as always, then answer 202 with a proposal instead of
activating it (`propose_if_required` below; the console's workbench too). Then:

- `GET /v1/rules/proposals` (paged, `status=` filters) and `GET /v1/rules/proposals/{proposal_id}`
  (with the diff against the active pack it was proposed over);
- `POST .../approve`: another ops or admin key of the tenant activates it (403 `same_key` for the
  proposing key; 409 `stale_proposal` when the active pack changed since, `proposal_decided` when it
  was already approved or rejected); a promotion's gate (tests pass, check has no error) and the
  roster check run again first;
- `POST .../reject`: nothing is activated; any ops or admin key, the proposer's too (a withdrawal).

Both take an optional `{"comment": "..."}`. Keys are per person: the API tells keys apart, not people.
"""

from __future__ import annotations

import json
import re

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.api.active_packs import ACTIVE_PACKS
from engine.api.auth import KEY_ID, TENANT
from engine.api.conversations import DATABASE, read_body
from engine.api.errors import ApiError, check_parameters, invalid_field, named
from engine.api.pack_answers import Proposed, answered
from engine.api.pack_jobs import job_failure
from engine.api.pack_parsing import PACK_WORKERS
from engine.api.pages import paged
from engine.db.proposals import (
    PROPOSAL_ID,
    STATUSES,
    Proposal,
    ProposalRefused,
    ProposalStore,
    UnknownProposal,
)
from engine.db.tenant_settings import requires_approval
from engine.rules.pack import RulePack
from engine.service.roster_rules import unknown_agents

routes = web.RouteTableDef()
ID = re.compile(PROPOSAL_ID)
LIST_PARAMETERS = ("status", "limit", "cursor")
REFUSED_STATUS = {"same_key": 403, "stale_proposal": 409, "proposal_decided": 409}


class ProposalDecision(BaseModel):
    """The optional body of an approval or rejection."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    comment: str | None = Field(default=None, max_length=2000)
    """Why: kept with the proposal and shown with it."""


class ProposalList(BaseModel):
    """A page of the tenant's proposals, oldest first, without their diffs."""

    proposals: list[Proposal]
    next: str | None


class DecidedProposal(Proposal):
    """A proposal just approved or rejected."""

    active: bool
    """Whether its pack is the tenant's active pack now (approved) or not (rejected)."""


def caller(request: web.Request) -> str:
    return f"api:{request[TENANT]}/{request[KEY_ID]}"


async def refuse_unserved_agents(request: web.Request, pack: RulePack) -> None:
    """422 for agents of the tenant's roster the pack no longer serves, as publishing refuses them."""
    if problems := await unknown_agents(request.app[DATABASE], request[TENANT], pack):
        fields = [{"field": f"pack.{p.field}", "message": p.message} for p in problems]
        raise ApiError(422, "invalid_pack", f"the pack in `pack` has {len(problems)} problem(s)", fields)


async def propose_if_required(
    request: web.Request, pack: RulePack, kind: str, tests: list | None = None, text: str | None = None
) -> Proposal | None:
    """For a tenant that requires approval: a new proposal to activate `pack`; None otherwise (the
    caller activates the pack itself, as without four-eyes)."""
    tenant = request[TENANT]
    database = request.app[DATABASE]
    if not await requires_approval(database, tenant):
        return None
    return await ProposalStore(database).propose(
        tenant,
        pack,
        kind=kind,
        proposer=caller(request),
        proposer_key=request[KEY_ID],
        source=f"POST {request.path}",
        tests=tests,
        text=text,
    )


def approve_route(proposal: Proposal) -> str:
    return f"POST /v1/rules/proposals/{proposal.id}/approve"


def proposal_answer(request: web.Request, proposal: Proposal) -> web.Response:
    """202: proposed, not active; where to read it and how another key approves it."""
    proposed = Proposed(
        hash=proposal.hash,
        active=False,
        proposal_id=proposal.id,
        status=proposal.status,
        href=f"/v1/rules/proposals/{proposal.id}",
        message=f"tenant {request[TENANT]} requires approval: another ops or admin key approves "
        f"with {approve_route(proposal)}",
    )
    return answered(proposed, status=202)


def _shown(proposal: Proposal) -> dict:
    shown = dict(proposal.__dict__)
    if proposal.diff is None:
        shown.pop("diff")
    return shown


def _proposal_id(request: web.Request) -> str:
    proposal_id = request.match_info["proposal_id"]
    if not ID.match(proposal_id):
        raise _unknown(proposal_id)
    return proposal_id


def _unknown(proposal_id: str) -> ApiError:
    return ApiError(
        404,
        "no_such_proposal",
        f"no proposal {proposal_id} in this tenant",
        named("proposal_id", "unknown"),
    )


def _refused(exc: ProposalRefused) -> ApiError:
    return ApiError(REFUSED_STATUS[exc.code], exc.code, exc.message, named("proposal_id", exc.code))


async def _decision(request: web.Request) -> ProposalDecision:
    return await read_body(request, ProposalDecision) if request.body_exists else ProposalDecision()


@routes.get("/v1/rules/proposals")
async def list_proposals(request: web.Request) -> web.Response:
    check_parameters(request, LIST_PARAMETERS)
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        raise invalid_field("status", f"one of {', '.join(STATUSES)}")
    proposals = await ProposalStore(request.app[DATABASE]).list(request[TENANT], status)
    shown, after = paged(request, proposals, lambda p: [p.proposed_at, p.id], 2)
    return web.json_response({"proposals": [_shown(p) for p in shown], "next": after})


@routes.get("/v1/rules/proposals/{proposal_id}")
async def show_proposal(request: web.Request) -> web.Response:
    proposal_id = _proposal_id(request)
    try:
        proposal = await ProposalStore(request.app[DATABASE]).get(request[TENANT], proposal_id)
    except UnknownProposal:
        raise _unknown(proposal_id) from None
    return web.json_response(_shown(proposal))


@routes.post("/v1/rules/proposals/{proposal_id}/approve")
async def approve_proposal(request: web.Request) -> web.Response:
    decision = await _decision(request)
    approved = await approve(request, _proposal_id(request), decision.comment)
    return web.json_response({**_shown(approved), "active": True})


async def approve(request: web.Request, proposal_id: str, comment: str | None) -> Proposal:
    """Approve and activate (the route's and the console's). Refusals come before any work (same key,
    stale, decided); then the gates; then one transaction approves and activates (a race with another
    approval or publish is refused there)."""
    tenant = request[TENANT]
    database = request.app[DATABASE]
    store = ProposalStore(database)
    try:
        pack, row = await store.pack_of(tenant, proposal_id)
        if refused := store.refusal(row, request[KEY_ID], await store.current(tenant), approving=True):
            raise refused
        if row.kind == "promote":  # the gate again: what passed when proposed must pass now
            body = json.dumps({"pack": pack.as_written()}).encode()
            result = await request.app[PACK_WORKERS].run("promote", body)
            if result.pack is None:
                raise job_failure(result)
        await refuse_unserved_agents(request, pack)
        approved = await store.approve(
            tenant, proposal_id, approver=caller(request), approver_key=request[KEY_ID], comment=comment
        )
    except UnknownProposal:
        raise _unknown(proposal_id) from None
    except ProposalRefused as exc:
        raise _refused(exc) from None
    request.app[ACTIVE_PACKS].forget(tenant)  # (the activation ended the candidate's shadow run)
    return approved


@routes.post("/v1/rules/proposals/{proposal_id}/reject")
async def reject_proposal(request: web.Request) -> web.Response:
    decision = await _decision(request)
    rejected = await reject(request, _proposal_id(request), decision.comment)
    return web.json_response({**_shown(rejected), "active": False})


async def reject(request: web.Request, proposal_id: str, comment: str | None) -> Proposal:
    """Reject (the proposer may too: a withdrawal); nothing becomes active."""
    try:
        return await ProposalStore(request.app[DATABASE]).reject(
            request[TENANT],
            proposal_id,
            rejecter=caller(request),
            rejecter_key=request[KEY_ID],
            comment=comment,
        )
    except UnknownProposal:
        raise _unknown(proposal_id) from None
    except ProposalRefused as exc:
        raise _refused(exc) from None
