"""The OpenAPI entries of event subscriptions (engine/api/subscriptions.py), in engine/api/openapi.py's
table shape; that module merges them into its own table."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from engine.api.openapi_contract import IDEMPOTENCY_KEY, query
from engine.api.subscriptions import (
    ChangeSubscription,
    CreateSubscription,
    Deleted,
    DeliveryAttemptList,
    GivenUpList,
    Redelivered,
    RotateSubscriptionSecret,
    SubscriptionList,
    SubscriptionView,
    SubscriptionWithSecret,
)
from engine.contracts.ids import ID_PATTERN

SUBSCRIPTION_ROUTES: dict[
    tuple[str, str], tuple[str, type[BaseModel] | None, type[BaseModel] | None, int]
] = {
    ("POST", "/v1/subscriptions"): (
        "Subscribe a URL to conversation events (Standard Webhooks signed); the answer holds the "
        "signing secret, once. 422 names `url` when it does not reach a public address",
        CreateSubscription,
        SubscriptionWithSecret,
        201,
    ),
    ("GET", "/v1/subscriptions"): (
        "The tenant's subscriptions (never their secrets)",
        None,
        SubscriptionList,
        200,
    ),
    ("GET", "/v1/subscriptions/{subscription_id}"): (
        "One subscription: its state (active or failing) and its queue",
        None,
        SubscriptionView,
        200,
    ),
    ("PATCH", "/v1/subscriptions/{subscription_id}"): (
        "Change a subscription's URL, events, description or allow_private, or pause and resume it; "
        "its id, secret and sequences stay (paused, its events queue and go out in order on resume)",
        ChangeSubscription,
        SubscriptionView,
        200,
    ),
    ("DELETE", "/v1/subscriptions/{subscription_id}"): (
        "Remove a subscription and its queued deliveries",
        None,
        Deleted,
        200,
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/rotate-secret"): (
        "A new signing secret, shown once; the previous one signs too until the overlap ends (both "
        "signatures in `webhook-signature`); the body is optional",
        RotateSubscriptionSecret,
        SubscriptionWithSecret,
        201,
    ),
    ("GET", "/v1/subscriptions/{subscription_id}/deliveries"): (
        "Every delivery attempt in time order: status code, error, latency, next retry",
        None,
        DeliveryAttemptList,
        200,
    ),
    ("GET", "/v1/subscriptions/{subscription_id}/given-up"): (
        "The events whose delivery was given up after the retry hours, by conversation and sequence, "
        "each with its last attempt: where to redeliver from",
        None,
        GivenUpList,
        200,
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/redeliver"): (
        "Deliver again every event numbered from `from_sequence` (of one conversation with "
        "`conversation_id`), in order; 404 when the subscription keeps no events of that "
        "conversation, 422 when `from_sequence` is past its last",
        None,
        Redelivered,
        202,
    ),
}


def _one_conversation(what: str) -> dict[str, Any]:
    return query(
        "conversation_id",
        f"Only this conversation's {what}",
        type="string",
        pattern=ID_PATTERN,
        maxLength=128,
    )


# Query parameters, by route.
SUBSCRIPTION_PARAMETERS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("GET", "/v1/subscriptions/{subscription_id}/deliveries"): [_one_conversation("attempts")],
    ("GET", "/v1/subscriptions/{subscription_id}/given-up"): [_one_conversation("events")],
    ("POST", "/v1/subscriptions/{subscription_id}/redeliver"): [
        {
            "name": "from_sequence",
            "in": "query",
            "required": True,
            "description": "The first sequence number to deliver again",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        },
        _one_conversation("events"),
        IDEMPOTENCY_KEY,
    ],
}
