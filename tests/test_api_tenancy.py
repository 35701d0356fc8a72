"""Every route is tenant-scoped: the API key decides the tenant, and other tenants' data is invisible."""

from __future__ import annotations

from tests.api_client import ApiClient


async def test_missing_or_wrong_key_is_401_json(api: ApiClient) -> None:
    missing = await api.request("GET", "/v1/conversations", tenant=None)
    assert missing.status == 401 and missing.body["error"] == "unauthorized"
    assert missing.body["fields"][0]["field"] == "Authorization"
    wrong = await api.request(
        "GET", "/v1/conversations", tenant=None, headers={"Authorization": "Bearer not-a-key"}
    )
    assert wrong.status == 401 and wrong.body["message"] == "unknown API key"
    basic = await api.request(
        "GET", "/v1/conversations", tenant=None, headers={"Authorization": "Basic Zm9vOmJhcg=="}
    )
    assert basic.status == 401


async def test_health_needs_no_key(api: ApiClient) -> None:
    health = await api.request("GET", "/healthz", tenant=None)
    assert health.status == 200 and health.body == {"status": "ok"}


async def test_another_tenant_cannot_see_or_change_a_conversation(api: ApiClient, worker: None) -> None:
    assert (await api.post_message("shared-id", "m-1", tenant="acme")).status == 201

    assert (await api.get("shared-id", tenant="globex")).status == 404
    as_globex = {
        "replies": {"agent_id": "mallory", "text": "hi", "message_id": "r-1"},
        "status": {"status": "closed"},
    }
    for route, body in as_globex.items():
        reply = await api.request("POST", f"/v1/conversations/shared-id/{route}", json=body, tenant="globex")
        assert reply.status == 404 and reply.body["error"] == "conversation_not_found"
    listed = await api.request("GET", "/v1/conversations", tenant="globex")
    assert listed.body["conversations"] == []

    acme_view = (await api.get("shared-id", tenant="acme")).body
    assert acme_view["status"] == "open"
    assert acme_view["agent_messages"] == 0
    listed = await api.request("GET", "/v1/conversations", tenant="acme")
    assert [c["conversation_id"] for c in listed.body["conversations"]] == ["shared-id"]


async def test_same_external_id_in_two_tenants_are_two_conversations(api: ApiClient, worker: None) -> None:
    assert (await api.post_message("c-1", "m-1", tenant="acme")).status == 201
    assert (await api.post_message("c-1", "m-1", tenant="globex")).status == 201
    assert (await api.get("c-1", tenant="acme")).body["customer_messages"] == 1
    assert (await api.get("c-1", tenant="globex")).body["customer_messages"] == 1
