"""The parts of the OpenAPI document every operation shares: its error answers (problem+json, each
status the server can give), its headers (Idempotency-Key, RateLimit, Retry-After) and the patterns
of its path and query parameters. engine/api/openapi.py puts them on each route.

The statuses follow the middlewares (engine/api/app.py), in the order they answer:
413 (body_limits), 401 (auth), 429 (rate limits), 403 (roles), 422/409 (Idempotency-Key), then the
handler: 400 (malformed JSON), 404 (no such conversation, agent, key), 409 (a closed conversation),
422 (a field), and 503 (no worker or database in time, with Retry-After).
"""

from __future__ import annotations

from typing import Any

from engine.api.pages import MAX_LIMIT
from engine.contracts.conversation import Channel, Status
from engine.contracts.ids import AGENT_ID_PATTERN, ID_PATTERN
from engine.contracts.single_line import SINGLE_LINE
from engine.db.keys import TENANT_PATTERN
from engine.db.proposals import PROPOSAL_ID
from engine.rules.context import Priority

PROBLEM_REF = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
SECONDS = {"schema": {"type": "integer", "minimum": 0}}
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": "The policies: quota `q` per window `w` (draft-ietf-httpapi-ratelimit-headers)",
        "schema": {"type": "string"},
    },
    "RateLimit": {"description": "Quota left `r`, seconds until whole `t`", "schema": {"type": "string"}},
}
ID = {"type": "string", "pattern": ID_PATTERN, "maxLength": 128}
AGENT_ID = {"type": "string", "pattern": AGENT_ID_PATTERN, "maxLength": 128}
PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    "conversation_id": ID,
    "agent_id": ID,
    "team": ID,
    "metric": ID,
    "key_id": {"type": "string", "pattern": r"^k_[0-9a-f]{16}$"},
    "proposal_id": {"type": "string", "pattern": PROPOSAL_ID},
    "subscription_id": {"type": "string", "pattern": r"^sub_[0-9a-f]{24}$"},
    "quarantine_id": {"type": "string", "pattern": r"^q_[0-9a-f]{24}$"},
    "channel": {"type": "string", "enum": [c.value for c in Channel]},
    "tenant": {"type": "string", "pattern": TENANT_PATTERN.pattern, "maxLength": 64},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retry with the same key and the same request answers the first answer again "
    "(`Idempotent-Replayed: true`), for 24 hours; with another request: 422; while the first runs: 409. "
    "Scoped to the tenant and the API key. 1-256 characters, one line.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": SINGLE_LINE},
}
PAGE_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Rows per page",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "Opaque: take the previous page's `next` link as it is",
        "schema": {"type": "string", "maxLength": 1024},
    },
]
CONVERSATION_FILTERS: list[dict[str, Any]] = [
    {"name": name, "in": "query", "required": False, "schema": schema}
    for name, schema in (
        ("status", {"type": "string", "enum": [m.value for m in Status]}),
        ("channel", {"type": "string", "enum": [m.value for m in Channel]}),
        ("priority", {"type": "string", "enum": [m.value for m in Priority]}),
        ("sla_breached", {"type": "string", "enum": ["true", "false"]}),
        ("team", ID),
        ("assignee", AGENT_ID),
        ("assigned", {"type": "string", "enum": ["true", "false"]}),
        ("tag", ID),
        ("language", ID),
    )
]
THREAD = {"type": "string", "pattern": "^[0-9]{1,7}$"}
DECISION_FILTERS: list[dict[str, Any]] = [
    {
        "name": "thread",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "pattern": r"^[0-9]{1,7}$"},
    },
    {"name": "run_id", "in": "query", "required": False, "schema": {"type": "string", "format": "uuid"}},
]
MESSAGE_WAIT: list[dict[str, Any]] = [
    {
        "name": "wait",
        "in": "query",
        "required": False,
        "description": "`recorded` (default): answer once the conversation recorded the message (its "
        "seq, thread, duplicate or not; status `open`, before the rules ran). `decided`: answer after "
        "its rules ran and their actions were executed (status after them); slower.",
        "schema": {"type": "string", "enum": ["recorded", "decided"], "default": "recorded"},
    }
]
LISTS = {
    "/v1/conversations",
    "/v1/agents",
    "/v1/rules/versions",
    "/v1/rules/activations",
    "/v1/rules/proposals",
    "/v1/keys",
    "/v1/webhook-secrets",
    "/v1/subscriptions",
    "/v1/subscriptions/{subscription_id}/deliveries",
    "/v1/subscriptions/{subscription_id}/given-up",
    "/v1/quarantine",
    "/v1/customers/erasures",
}
QUARANTINE_FILTERS: list[dict[str, Any]] = [
    {
        "name": "reason",
        "in": "query",
        "required": False,
        "schema": {
            "type": "string",
            "enum": ["no_sender", "loop", "blocked_sender", "spam", "unparseable", "sender_rate"],
        },
    },
    {
        "name": "released",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
]


def query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    """An optional query parameter of one route (the lists' shared ones are above)."""
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def problem(description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": PROBLEM_REF}
    if headers:
        answer["headers"] = headers
    return answer


def error_answers(
    method: str, path: str, *, authenticated: bool, limited: bool, body: bool
) -> dict[str, Any]:
    """Every error status the route can answer, each a problem."""
    answers: dict[str, Any] = {
        "404": problem("No such resource in the caller's tenant (or no such route)"),
        "422": problem("A field, parameter or header is invalid; `fields` names it"),
        "503": problem(
            "No worker, Temporal or database answered in time; send the same request again after "
            "`Retry-After` seconds",
            **{"Retry-After": {"description": "Seconds to wait", **SECONDS}},
        ),
    }
    if method in ("POST", "PUT"):
        answers["400"] = problem("The body is not JSON (or empty): `fields` names `body`")
        answers["413"] = problem("The body is over the route's limit")
    if method in ("POST", "PUT") and not path.startswith("/v1/customers/"):  # no key kept, no event
        answers["409"] = problem(
            "A request with the same Idempotency-Key is still running, or the conversation refused the event",
            **{"Retry-After": {"description": "Seconds to wait", **SECONDS}},
        )
    if path == "/v1/inbound/email":
        answers["415"] = problem("A JSON or form body is not a mail: send the raw message (message/rfc822)")
    if path == "/v1/inbound/webhook/{tenant}":
        answers["401"] = problem("The signature does not verify")
        answers["409"] = problem("The conversation refused the event")
    if authenticated:
        answers["401"] = problem("Missing or unknown API key; `fields` names `Authorization`")
        answers["403"] = problem("The key's role may not use this route; `fields` names the role needed")
    if limited:
        answers["429"] = problem(
            "Over a rate limit: wait `Retry-After` seconds",
            **{"Retry-After": {"description": "Seconds to wait", **SECONDS}},
            **RATE_LIMIT_HEADERS,
        )
    return answers


def parameters_of(method: str, path: str) -> list[dict[str, Any]]:
    names = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
    found: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": PATH_SCHEMAS.get(n, {"type": "string"})}
        for n in names
    ]
    if method == "GET" and path in LISTS:
        found += PAGE_PARAMETERS
    if method == "GET" and path == "/v1/conversations":
        found += CONVERSATION_FILTERS
    if method == "GET" and path == "/v1/conversations/{conversation_id}/decisions":
        found += DECISION_FILTERS
    if method == "GET" and path == "/v1/quarantine":
        found += QUARANTINE_FILTERS
    if method == "POST" and path == "/v1/conversations/{conversation_id}/messages":
        found += MESSAGE_WAIT
    return found
