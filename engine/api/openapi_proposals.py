"""The OpenAPI entries of four-eyes publishing (engine/api/rules_proposals.py, tenant_settings.py),
in engine/api/openapi.py's table shapes; that module merges them into its own tables."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from engine.api.pack_answers import Proposed
from engine.api.rules_proposals import DecidedProposal, ProposalDecision, ProposalList
from engine.api.tenant_settings import SettingsInput, SettingsView
from engine.db.proposals import STATUSES, Proposal

PROPOSAL_ROUTES: dict[tuple[str, str], tuple[str, type[BaseModel] | None, type[BaseModel] | None, int]] = {
    ("GET", "/v1/rules/proposals"): (
        "The tenant's pack proposals (four-eyes publishing), oldest first, without their diffs; "
        "`stale`: pending, but the active pack changed since",
        None,
        ProposalList,
        200,
    ),
    ("GET", "/v1/rules/proposals/{proposal_id}"): (
        "One proposal: who proposed it, when, who approved or rejected it, the comment, and its diff "
        "against the active pack it was proposed over (structure and unified YAML)",
        None,
        Proposal,
        200,
    ),
    ("POST", "/v1/rules/proposals/{proposal_id}/approve"): (
        "Approve and activate a proposal: needs another ops or admin key than the proposer's (403 "
        "`same_key`); 409 `stale_proposal` when the active pack changed since it was proposed, "
        "`proposal_decided` when already approved or rejected; a promotion's tests and check run again "
        "(422). The body is optional",
        ProposalDecision,
        DecidedProposal,
        200,
    ),
    ("POST", "/v1/rules/proposals/{proposal_id}/reject"): (
        "Reject a proposal (its proposer may withdraw it so); 409 `proposal_decided` when already "
        "approved or rejected. The body is optional",
        ProposalDecision,
        DecidedProposal,
        200,
    ),
    ("GET", "/v1/tenant/settings"): (
        "The tenant's settings (`require_approval`: four-eyes publishing) and every change, newest first",
        None,
        SettingsView,
        200,
    ),
    ("PUT", "/v1/tenant/settings"): (
        "Change the tenant's settings (admin); the change is recorded with the key and the time",
        SettingsInput,
        SettingsView,
        200,
    ),
}
# A publish or promotion of a tenant that requires approval answers 202 with a proposal.
PROPOSED: dict[tuple[str, str], tuple[int, type[BaseModel], str]] = {
    ("POST", "/v1/rules/publish"): (202, Proposed, "Proposed: another key approves it"),
    ("POST", "/v1/rules/shadow/promote"): (202, Proposed, "Proposed: another key approves it"),
}
OPTIONAL_DECISIONS = {
    ("POST", "/v1/rules/proposals/{proposal_id}/approve"),
    ("POST", "/v1/rules/proposals/{proposal_id}/reject"),
}
STATUS_FILTER: list[dict[str, Any]] = [
    {
        "name": "status",
        "in": "query",
        "required": False,
        "description": "Only the proposals with this status",
        "schema": {"type": "string", "enum": list(STATUSES)},
    }
]
