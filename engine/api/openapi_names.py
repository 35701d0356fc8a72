"""Each operation's `operationId` and tag in the OpenAPI document.

Generators name a client's functions and modules after them (clients/python: `post_message` in
`api/conversations/`), so they are part of the integrator contract: renaming one renames a client
function. A route without a name here gets one made of its method and path
(`post_subscriptions_subscription_id_redeliver`): usable at once, and worth a shorter name here.
"""

from __future__ import annotations

import re

OPERATION_IDS: dict[tuple[str, str], str] = {
    ("POST", "/v1/conversations/{conversation_id}/messages"): "post_message",
    ("POST", "/v1/conversations/{conversation_id}/replies"): "post_reply",
    ("POST", "/v1/conversations/{conversation_id}/status"): "post_status",
    ("POST", "/v1/conversations/{conversation_id}/assignment"): "post_assignment",
    ("POST", "/v1/conversations/{conversation_id}/unassignment"): "post_unassignment",
    ("POST", "/v1/conversations/{conversation_id}/survey"): "post_survey",
    ("GET", "/v1/conversations/{conversation_id}"): "get_conversation",
    ("GET", "/v1/conversations/{conversation_id}/decisions"): "get_decisions",
    ("GET", "/v1/conversations/{conversation_id}/export"): "export_conversation",
    ("GET", "/v1/conversations/{conversation_id}/threads"): "get_threads",
    ("GET", "/v1/conversations/{conversation_id}/timeline"): "get_timeline",
    ("GET", "/v1/conversations"): "list_conversations",
    ("POST", "/v1/rules/validate"): "validate_pack",
    ("POST", "/v1/rules/check"): "check_pack",
    ("POST", "/v1/rules/test"): "run_pack_tests",
    ("POST", "/v1/rules/simulate"): "simulate_pack",
    ("POST", "/v1/rules/diff"): "diff_packs",
    ("POST", "/v1/rules/coverage"): "pack_coverage",
    ("POST", "/v1/rules/publish"): "publish_pack",
    ("GET", "/v1/rules/versions"): "list_pack_versions",
    ("GET", "/v1/rules/activations"): "list_pack_activations",
    ("POST", "/v1/rules/shadow"): "publish_shadow",
    ("GET", "/v1/rules/shadow"): "get_shadow",
    ("DELETE", "/v1/rules/shadow"): "stop_shadow",
    ("GET", "/v1/rules/shadow/report"): "shadow_report",
    ("POST", "/v1/rules/shadow/promote"): "promote_shadow",
    ("GET", "/v1/rules/proposals"): "list_proposals",
    ("GET", "/v1/rules/proposals/{proposal_id}"): "get_proposal",
    ("POST", "/v1/rules/proposals/{proposal_id}/approve"): "approve_proposal",
    ("POST", "/v1/rules/proposals/{proposal_id}/reject"): "reject_proposal",
    ("POST", "/v1/inbound/email"): "inbound_email",
    ("POST", "/v1/inbound/webhook/{tenant}"): "inbound_webhook",
    ("GET", "/v1/keys"): "list_keys",
    ("POST", "/v1/keys"): "create_key",
    ("DELETE", "/v1/keys/{key_id}"): "revoke_key",
    ("POST", "/v1/webhook-secrets/{channel}/rotate"): "rotate_webhook_secret",
    ("GET", "/v1/webhook-secrets"): "list_webhook_secrets",
    ("POST", "/v1/agents"): "put_agent",
    ("GET", "/v1/agents"): "list_agents",
    ("GET", "/v1/agents/{agent_id}"): "get_agent",
    ("DELETE", "/v1/agents/{agent_id}"): "delete_agent",
    ("PUT", "/v1/agents/{agent_id}/presence"): "set_presence",
    ("POST", "/v1/agents/{agent_id}/heartbeat"): "agent_heartbeat",
    ("GET", "/v1/teams/{team}/queue"): "team_queue",
    ("GET", "/v1/kpis"): "get_kpis",
    ("GET", "/v1/tenant/settings"): "get_tenant_settings",
    ("PUT", "/v1/tenant/settings"): "put_tenant_settings",
    ("POST", "/v1/subscriptions"): "create_subscription",
    ("GET", "/v1/subscriptions"): "list_subscriptions",
    ("GET", "/v1/subscriptions/{subscription_id}"): "get_subscription",
    ("PATCH", "/v1/subscriptions/{subscription_id}"): "change_subscription",
    ("DELETE", "/v1/subscriptions/{subscription_id}"): "delete_subscription",
    ("POST", "/v1/subscriptions/{subscription_id}/rotate-secret"): "rotate_subscription_secret",
    ("GET", "/v1/subscriptions/{subscription_id}/deliveries"): "list_subscription_deliveries",
    ("GET", "/v1/subscriptions/{subscription_id}/given-up"): "list_given_up_events",
    ("POST", "/v1/subscriptions/{subscription_id}/redeliver"): "redeliver_events",
    ("GET", "/v1/quarantine"): "list_quarantine",
    ("GET", "/v1/quarantine/{quarantine_id}"): "get_quarantined_mail",
    ("GET", "/v1/quarantine/{quarantine_id}/raw"): "get_quarantined_mail_raw",
    ("POST", "/v1/quarantine/{quarantine_id}/release"): "release_quarantined_mail",
    ("DELETE", "/v1/quarantine/{quarantine_id}"): "delete_quarantined_mail",
    ("POST", "/v1/customers/search"): "search_customer",
    ("POST", "/v1/customers/export"): "export_customer",
    ("POST", "/v1/customers/erasures"): "erase_customer",
    ("GET", "/v1/customers/erasures"): "list_erasures",
    ("GET", "/healthz"): "healthz",
    ("GET", "/readyz"): "readyz",
    ("GET", "/v1/openapi.json"): "openapi_document",
    ("GET", "/metrics"): "metrics",
}


def operation_id(method: str, path: str) -> str:
    """The table's name, or one made of the method and the path's words."""
    named = OPERATION_IDS.get((method, path))
    if named is not None:
        return named
    words = [w for w in re.split(r"[^0-9A-Za-z]+", path.lower()) if w and w != "v1"]
    return "_".join([method.lower(), *words])


def tag_of(path: str) -> str:
    """The first word after /v1 (`conversations`, `rules`, `agents`, ...); `service` for the
    routes outside /v1 and the document itself."""
    parts = path.strip("/").split("/")
    if parts[0] != "v1" or len(parts) < 2 or parts[1] == "openapi.json":
        return "service"
    return parts[1]
