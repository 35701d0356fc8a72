"""OpenAPI 3.1 description of the HTTP API, generated from the pydantic models the routes validate with.

One table below names each route's body and answer models, so the document cannot drift from the
validation: a test checks that every route of the application is described and vice versa. The
entries of some areas (openapi_rules.py, openapi_agents.py, openapi_quarantine.py,
openapi_subscriptions.py, openapi_proposals.py) are merged into it in place, so the order holds.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from engine.api.audit_export import AuditBundle
from engine.api.conversation_views import ConversationList, ConversationView, DecisionTrail, ThreadList
from engine.api.idempotency import NEVER_KEPT, REPLAYED
from engine.api.inbound_webhook import InboundWebhook
from engine.api.keys import CreateKey, KeyList, NewKey, RevokedKey
from engine.api.kpis import KpiReport
from engine.api.openapi_agents import AGENT_ROUTES
from engine.api.openapi_contract import (
    IDEMPOTENCY_KEY,
    RATE_LIMIT_HEADERS,
    error_answers,
    parameters_of,
    query,
)
from engine.api.openapi_customers import CUSTOMER_ROUTES, DRY_RUN
from engine.api.openapi_names import operation_id, tag_of
from engine.api.openapi_proposals import OPTIONAL_DECISIONS, PROPOSAL_ROUTES, PROPOSED, STATUS_FILTER
from engine.api.openapi_quarantine import QUARANTINE_ROUTES
from engine.api.openapi_rules import RULES_PARAMETERS, RULES_ROUTES
from engine.api.openapi_subscriptions import SUBSCRIPTION_PARAMETERS, SUBSCRIPTION_ROUTES
from engine.api.openapi_webhooks import WEBHOOK_MODELS, webhooks
from engine.api.quarantine import Quarantined
from engine.api.readiness import Live, Ready
from engine.api.roles import ROUTE_ROLES
from engine.api.schemas import (
    EventResponse,
    PostAssignment,
    PostMessage,
    PostReply,
    PostStatus,
    PostSurvey,
    PostUnassignment,
    RepeatedMail,
    RepeatedWebhook,
)
from engine.api.webhook_secrets import NewSecret, RotateSecret, SecretList
from engine.contracts.ids import ID_PATTERN

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details; `error`, `message` and `fields` are extension members",
    "required": ["type", "title", "status", "detail", "error", "message", "fields"],
    "properties": {
        "type": {"type": "string", "description": "urn:convoflow:problem:<error>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "error": {"type": "string", "description": "The error code (the end of `type`)"},
        "message": {"type": "string", "description": "The same as `detail`"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "description": "The field at fault (a header, a parameter)"},
                    "message": {"type": "string"},
                    "line": {"type": "integer"},
                    "column": {"type": "integer"},
                },
            },
        },
    },
}
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}

# (method, path) -> (summary, request model, response model, success status)
ROUTES: dict[tuple[str, str], tuple[str, type[BaseModel] | None, type[BaseModel] | None, int]] = {
    ("POST", "/v1/conversations/{conversation_id}/messages"): (
        "A customer message; the first creates the conversation",
        PostMessage,
        EventResponse,
        201,
    ),
    ("POST", "/v1/conversations/{conversation_id}/replies"): (
        "An agent reply",
        PostReply,
        EventResponse,
        200,
    ),
    ("POST", "/v1/conversations/{conversation_id}/status"): (
        "Change the status",
        PostStatus,
        EventResponse,
        200,
    ),
    ("POST", "/v1/conversations/{conversation_id}/assignment"): (
        "Assign an agent",
        PostAssignment,
        EventResponse,
        200,
    ),
    ("POST", "/v1/conversations/{conversation_id}/unassignment"): (
        "Take the agent off",
        PostUnassignment,
        EventResponse,
        200,
    ),
    ("POST", "/v1/conversations/{conversation_id}/survey"): (
        "The customer's survey answer",
        PostSurvey,
        EventResponse,
        200,
    ),
    ("GET", "/v1/conversations/{conversation_id}"): ("The conversation", None, ConversationView, 200),
    ("GET", "/v1/conversations/{conversation_id}/decisions"): (
        "Every event's decision record",
        None,
        DecisionTrail,
        200,
    ),
    ("GET", "/v1/conversations/{conversation_id}/export"): (
        "The conversation's sealed audit bundle (`convoflow audit verify` checks it)",
        None,
        AuditBundle,
        200,
    ),
    ("GET", "/v1/conversations/{conversation_id}/threads"): (
        "The conversation's threads (a customer writing after a close begins one)",
        None,
        ThreadList,
        200,
    ),
    ("GET", "/v1/conversations/{conversation_id}/timeline"): (
        "The conversation's timeline page (HTML): SLA clocks with their pauses, warnings and breaches on a "
        "time axis, and every decision with its reasons; message texts are not shown",
        None,
        None,
        200,
    ),
    ("GET", "/v1/conversations"): ("The tenant's conversations, one row each", None, ConversationList, 200),
    **RULES_ROUTES,
    ("POST", "/v1/inbound/email"): (
        "A raw RFC 822 email from the mail gateway (body: message/rfc822): 201 a new conversation, 200 "
        "joined one (or a duplicate, or a bounce recorded on the conversation it returns), 202 "
        "quarantined (no usable sender, a loop, a blocked sender, a spam verdict, unreadable): held for "
        "ops with its quarantine id, do not retry",
        None,
        EventResponse,
        201,
    ),
    **QUARANTINE_ROUTES,
    **CUSTOMER_ROUTES,
    ("POST", "/v1/inbound/webhook/{tenant}"): (
        "A signed inbound webhook from a chat/WhatsApp/SMS gateway: a customer message as `POST "
        ".../messages` takes it, with `type` and `conversation_id`; fields of the gateway's own are ignored",
        InboundWebhook,
        EventResponse,
        201,
    ),
    ("GET", "/v1/keys"): ("The tenant's API keys (ids and roles, never the keys)", None, KeyList, 200),
    ("POST", "/v1/keys"): ("Create a key of the tenant; the answer holds it, once", CreateKey, NewKey, 201),
    ("DELETE", "/v1/keys/{key_id}"): ("Revoke one of the tenant's keys", None, RevokedKey, 200),
    ("POST", "/v1/webhook-secrets/{channel}/rotate"): (
        "A new webhook secret for a channel, shown once; the previous one retires after the overlap "
        "(admin; the body is optional)",
        RotateSecret,
        NewSecret,
        201,
    ),
    ("GET", "/v1/webhook-secrets"): (
        "The tenant's webhook secrets, without the secrets (admin)",
        None,
        SecretList,
        200,
    ),
    **AGENT_ROUTES,
    ("GET", "/v1/kpis"): (
        "The tenant's KPIs (docs/kpis.md) by group and period, each value with the conversations behind "
        "it; CSV with `format=csv` or `Accept: text/csv`",
        None,
        KpiReport,
        200,
    ),
    **SUBSCRIPTION_ROUTES,
    ("GET", "/healthz"): ("Liveness", None, Live, 200),
    ("GET", "/readyz"): (
        "Readiness: 503 naming the database or Temporal when one does not answer",
        None,
        Ready,
        200,
    ),
    ("GET", "/v1/openapi.json"): ("This document", None, None, 200),
    ("GET", "/metrics"): (
        "Prometheus metrics: Bearer CONVOFLOW_METRICS_TOKEN, or loopback clients when it is unset",
        None,
        None,
        200,
    ),
    **PROPOSAL_ROUTES,
}
SIGNED = {"/v1/inbound/webhook/{tenant}"}  # no API key: no Idempotency-Key (engine/api/idempotency.py)
# Routes with a second success status: a message to an existing conversation, an agent replaced, a
# duplicate inbound message.
ALSO_SUCCEEDS = {
    ("POST", "/v1/conversations/{conversation_id}/messages"): (200,),
    ("POST", "/v1/agents"): (200,),
    ("POST", "/v1/inbound/email"): (200,),
    ("POST", "/v1/quarantine/{quarantine_id}/release"): (200,),
    ("POST", "/v1/inbound/webhook/{tenant}"): (200,),
}
# Routes with a second success status whose body is another model: (status, model, description).
OTHER_ANSWERS: dict[tuple[str, str], tuple[int, type[BaseModel], str]] = {
    ("POST", "/v1/inbound/email"): (202, Quarantined, "Quarantined"),
    **PROPOSED,
    **DRY_RUN,
}
# Inbound routes whose 200 is also a repeat's answer (an id taken before: nothing done again).
REPEATS: dict[tuple[str, str], type[BaseModel]] = {
    ("POST", "/v1/inbound/email"): RepeatedMail,
    ("POST", "/v1/inbound/webhook/{tenant}"): RepeatedWebhook,
}
OPTIONAL_BODIES = {
    ("POST", "/v1/webhook-secrets/{channel}/rotate"),
    ("POST", "/v1/subscriptions/{subscription_id}/rotate-secret"),
    ("POST", "/v1/conversations/{conversation_id}/unassignment"),
    *OPTIONAL_DECISIONS,
}
# Routes that answer a page, not JSON (their errors are JSON like every route's).
HTML_ROUTES = {("GET", "/v1/conversations/{conversation_id}/timeline")}
# Routes that answer the raw mail.
MAIL_ROUTES = {("GET", "/v1/quarantine/{quarantine_id}/raw")}
# Routes whose body is a raw mail, not JSON (generated clients send it as a file).
MAIL_BODIES = {("POST", "/v1/inbound/email")}
# Routes that answer Prometheus's text format.
TEXT_ROUTES = {("GET", "/metrics")}
UNAUTHENTICATED = {"/healthz", "/readyz", "/v1/openapi.json", "/v1/inbound/webhook/{tenant}", "/metrics"}
# Request headers a route reads, besides Authorization.
HEADERS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("POST", "/v1/conversations/{conversation_id}/replies"): [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Stands in for the body's `message_id` (one of the two is required; "
            "if both are sent they must be equal). A retry with the same key is not sent again.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 256},
        }
    ],
}


HEADERS[("GET", "/v1/kpis")] = [
    query(
        "from",
        "Start (ISO time or date, in `tz` when it has no offset); default: 7 days before `to`",
        type="string",
    ),
    query("to", "End, exclusive; default: now", type="string"),
    query("group_by", "Comma-separated: team, channel, agent, priority", type="string"),
    query("interval", "One row per period", type="string", enum=["day", "week"]),
    query(
        "tz",
        "IANA time zone whose days and weeks the periods are (default UTC), e.g. America/New_York",
        type="string",
        pattern=r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$",
    ),
    query("format", "csv for text/csv (or send `Accept: text/csv`)", type="string", enum=["json", "csv"]),
    *(
        query(name, f"Only the threads of this {name}", type="string", pattern=ID_PATTERN)
        for name in ("team", "channel", "agent", "priority")
    ),
]
HEADERS[("GET", "/v1/rules/proposals")] = STATUS_FILTER
HEADERS.update(RULES_PARAMETERS)
HEADERS.update(SUBSCRIPTION_PARAMETERS)
NEVER_LIMITED = {"/healthz", "/readyz", "/v1/openapi.json", "/metrics"}  # see engine/api/rate_limits.py
METRICS_REFUSED = {"description": "Not the metrics token (or not loopback without one)", "content": PROBLEM}


def operation_parameters(method: str, path: str) -> list[dict[str, Any]]:
    """The parameters the document declares for one operation: its path's, its query's, its headers'
    (engine/api/query_parameters.py holds requests to the query's)."""
    parameters = parameters_of(method, path) + HEADERS.get((method, path), [])
    if method == "POST" and path not in SIGNED | NEVER_KEPT and (method, path) not in HEADERS:
        parameters.append(IDEMPOTENCY_KEY)
    return parameters


def build_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = sorted(
        {m for _, req, resp, _ in ROUTES.values() for m in (req, resp) if m is not None}
        | {model for _, model, _ in OTHER_ANSWERS.values()}
        | {*REPEATS.values(), *WEBHOOK_MODELS},
        key=lambda m: m.__name__,
    )
    refs, defs = models_json_schema(
        [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
    )
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), (summary, request, response, status) in ROUTES.items():
        content: dict[str, Any] = {
            "application/json": {"schema": refs[(response, "validation")] if response else {"type": "object"}}
        }
        if (method, path) in HTML_ROUTES:
            content = {"text/html": {"schema": {"type": "string"}}}
        if (method, path) in TEXT_ROUTES:
            content = {"text/plain": {"schema": {"type": "string"}}}
        if (method, path) in MAIL_ROUTES:
            content = {"message/rfc822": {"schema": {"type": "string"}}}
        if (method, path) == ("GET", "/v1/kpis"):
            content["text/csv"] = {"schema": {"type": "string"}}
        authenticated = path not in UNAUTHENTICATED
        limited = path not in NEVER_LIMITED
        headers: dict[str, Any] = dict(RATE_LIMIT_HEADERS) if limited else {}
        if method == "POST" and path not in SIGNED | NEVER_KEPT:
            headers[REPLAYED] = {
                "description": "`true` when this is the stored answer to an earlier request with the "
                "same Idempotency-Key",
                "schema": {"type": "string", "enum": ["true"]},
            }
        success: dict[str, Any] = {"description": "OK", "content": content}
        if headers:
            success["headers"] = headers
        responses = {str(status): success}
        for other in ALSO_SUCCEEDS.get((method, path), ()):
            responses[str(other)] = success
        if other_answer := OTHER_ANSWERS.get((method, path)):
            other_status, model, description = other_answer
            body = {"application/json": {"schema": refs[(model, "validation")]}}
            responses[str(other_status)] = {**success, "description": description, "content": body}
        if (repeat := REPEATS.get((method, path))) and response:
            taken = [refs[(response, "validation")], refs[(repeat, "validation")]]
            joined = {"application/json": {"schema": {"anyOf": taken}}}
            responses["200"] = {
                **success,
                "description": "Joined a conversation, or taken before",
                "content": joined,
            }
        responses.update(
            error_answers(
                method, path, authenticated=authenticated, limited=limited, body=request is not None
            )
        )
        if path in NEVER_LIMITED:
            responses = {code: answer for code, answer in responses.items() if code in (str(status), "401")}
            if path == "/metrics":
                responses["403"] = error_answers(method, path, authenticated=True, limited=False, body=False)[
                    "403"
                ]
        operation: dict[str, Any] = {
            "operationId": operation_id(method, path),
            "tags": [tag_of(path)],
            "summary": summary,
            "responses": responses,
        }
        if request is not None:
            operation["requestBody"] = {
                "required": (method, path) not in OPTIONAL_BODIES,
                "content": {"application/json": {"schema": refs[(request, "validation")]}},
            }
        if (method, path) in MAIL_BODIES:
            raw = {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}}
            operation["requestBody"] = {"required": True, "content": raw}
        if authenticated:
            operation["security"] = [{"bearer": []}]
            roles = sorted(ROUTE_ROLES.get((method, path), {"admin"}))
            operation["x-roles"] = roles
            operation["description"] = f"Roles: {', '.join(roles)}."
        parameters = operation_parameters(method, path)
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "convoflow",
            "version": "0.1.0",
            "description": "Customer-service conversations as durable Temporal workflows. Every error is an "
            "RFC 9457 problem (application/problem+json); every list is paged with `limit` and `cursor`.",
        },
        "paths": paths,
        "webhooks": webhooks(refs),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(build_document())
