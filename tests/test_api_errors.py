"""Bad input gets a 4xx JSON error naming the field; nothing an integrator sends produces a 500."""

from __future__ import annotations

import pytest

from tests.api_client import ApiClient

GOOD = {"message_id": "m-1", "channel": "email", "sender": {"address": "ada@example.com"}, "text": "Hi"}


def fields(body: dict) -> list[str]:
    return [f["field"] for f in body.get("fields", [])]


async def test_unknown_status_names_the_field(api: ApiClient, worker: None) -> None:
    await api.post_message("c-1", "m-1")
    reply = await api.request("POST", "/v1/conversations/c-1/status", json={"status": "archived"})
    assert reply.status == 422
    assert fields(reply.body) == ["status"]
    assert (await api.get("c-1")).body["status"] == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in GOOD.items() if k != "sender"}, "sender"),
        ({k: v for k, v in GOOD.items() if k != "message_id"}, "message_id"),
        ({**GOOD, "sender": {"name": "Ada"}}, "sender.address"),
        ({**GOOD, "channel": "pigeon"}, "channel"),
        ({**GOOD, "text": 42}, "text"),
        ({**GOOD, "received_at": "yesterday"}, "received_at"),
        ({**GOOD, "colour": "blue"}, "colour"),
        ({**GOOD, "message_id": ""}, "message_id"),
    ],
)
async def test_bad_message_fields_are_named(api: ApiClient, body: dict, field: str) -> None:
    reply = await api.request("POST", "/v1/conversations/c-2/messages", json=body)
    assert reply.status == 422
    assert field in fields(reply.body)
    assert reply.body["error"] == "invalid_request"


async def test_malformed_json_says_where(api: ApiClient) -> None:
    reply = await api.request(
        "POST",
        "/v1/conversations/c-3/messages",
        data=b'{"message_id": "m-1",\n "text": }',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 400 and reply.body["error"] == "malformed_json"
    assert reply.body["fields"][0]["field"] == "body"
    assert reply.body["fields"][0]["line"] == 2


@pytest.mark.parametrize("raw", [b"", b"[1, 2]", b"\xff\xfe", b'"text"'])
async def test_non_object_bodies_are_4xx(api: ApiClient, raw: bytes) -> None:
    reply = await api.request("POST", "/v1/conversations/c-4/messages", data=raw)
    assert 400 <= reply.status < 500
    assert fields(reply.body) == ["body"]


async def test_oversized_body_is_413(api: ApiClient) -> None:
    huge = {**GOOD, "text": "x" * (100 * 1024)}
    reply = await api.request("POST", "/v1/conversations/c-5/messages", json=huge)
    assert reply.status == 413 and reply.body["error"] == "body_too_large"
    assert fields(reply.body) == ["body"]


async def test_bad_conversation_id_is_named(api: ApiClient) -> None:
    reply = await api.request("POST", "/v1/conversations/a:b/messages", json=GOOD)
    assert reply.status == 422 and fields(reply.body) == ["conversation_id"]


async def test_unknown_conversation_is_404(api: ApiClient) -> None:
    reply = await api.request("POST", "/v1/conversations/nope/replies", json={"agent_id": "a", "text": "x"})
    assert reply.status == 404 and reply.body["error"] == "conversation_not_found"
    assert (await api.get("nope")).status == 404


@pytest.mark.parametrize("query", ["status=archived", "channel=fax", "limit=0", "limit=lots"])
async def test_bad_list_filters_are_named(api: ApiClient, query: str) -> None:
    reply = await api.request("GET", f"/v1/conversations?{query}")
    assert reply.status == 422
    assert fields(reply.body) == [query.split("=")[0]]


async def test_unknown_route_and_method_are_json(api: ApiClient) -> None:
    missing = await api.request("GET", "/v1/nothing-here")
    assert missing.status == 404 and missing.body["error"] == "not_found"
    wrong_method = await api.request("DELETE", "/v1/conversations/c-1/messages")
    assert wrong_method.status == 405
