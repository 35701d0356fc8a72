"""Every ingress has a body limit, answered with our 413 JSON naming the body and the limit.

Each route is tried with a Content-Length over its limit and with a chunked body that declares no
length (the server has to stop reading at the limit). The event routes' bodies stay under the
app-wide maximum (the rule routes' limit), so only their own limit can refuse them; the rule route's
body is over the app-wide maximum, which must answer in the same JSON.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from temporalio.client import Client

from engine.service.config import Settings
from tests.api_client import ApiClient, api_key
from tests.conftest import serve_api

RULES_LIMIT = 128 * 1024  # above the event limit: the app-wide maximum
SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="
# route, content type, the setting that bounds its body
INGRESS = {
    "conversation event": ("/v1/conversations/c-1/messages", "application/json", "max_body_bytes"),
    "rule pack": ("/v1/rules/validate", "application/json", "max_rules_body_bytes"),
    "signed webhook": ("/v1/inbound/webhook/{acme}", "application/json", "max_body_bytes"),
    "inbound email": ("/v1/inbound/email", "message/rfc822", "max_email_bytes"),
}


async def chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 8192 + 1):
        yield b"x" * 8192


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("ingress", list(INGRESS))
async def test_a_body_over_the_routes_limit_is_413_json(
    client: Client, settings: Settings, tenants: dict[str, str], ingress: str, chunked: bool
) -> None:
    chosen = settings.model_copy(
        update={"max_rules_body_bytes": RULES_LIMIT, "gateway_secret": SecretStr(SECRET)}
    )
    path, content_type, setting = INGRESS[ingress]
    limit = getattr(chosen, setting)
    size = limit + 16 * 1024
    async with serve_api(client, chosen, tenants) as api:
        reply = await post(api, path.format(acme=tenants["acme"]), content_type, size, chunked)
    assert reply[0] == 413, reply
    assert reply[1] == {
        "type": "urn:convoflow:problem:body_too_large",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": f"request body exceeds {limit} bytes",
        "error": "body_too_large",
        "message": f"request body exceeds {limit} bytes",
        "fields": [{"field": "body", "message": f"at most {limit} bytes"}],
    }


async def post(api: ApiClient, path: str, content_type: str, size: int, chunked: bool) -> tuple[int, object]:
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {api_key(api.tenants['acme'])}"}
    data = chunks(size) if chunked else b"x" * size
    async with api.session.post(api.base_url + path, data=data, headers=headers) as resp:
        assert resp.content_type == "application/problem+json", await resp.text()
        return resp.status, await resp.json(content_type=None)


async def test_a_rule_pack_may_be_larger_than_an_event(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """The rule routes keep their own, larger limit: a pack over the event limit is read and judged."""
    async with serve_api(client, settings, tenants) as api:
        big = {"pack": "# " + "x" * (settings.max_body_bytes + 1024) + "\n"}
        reply = await api.request("POST", "/v1/rules/validate", json=big)
    assert reply.status == 422 and reply.body["error"] != "body_too_large"
