"""The subscription routes: SSRF refused when subscribing, private receivers only for a tenant the
deployment permits, fields named on bad input, secrets shown once, tenants apart."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from engine.public_addresses import is_public
from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.conftest import serve_api
from tests.test_quarantine import as_role

HOOK = {"events": ["conversation.created"], "description": "crm"}


@pytest.fixture
async def api(client: Client, settings: Settings, tenants: dict[str, str]) -> AsyncIterator[ApiClient]:
    """The API with acme permitted private receivers (globex not)."""
    chosen = settings.model_copy(update={"subscription_private_tenants": tenants["acme"]})
    async with serve_api(client, chosen, tenants) as api_client:
        yield api_client


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[64:ff9b::a00:1]/hook",
    ],
)
async def test_a_private_address_is_refused_without_allow_private(api: ApiClient, url: str) -> None:
    reply = await api.request("POST", "/v1/subscriptions", json={**HOOK, "url": url})
    assert reply.status == 422, reply.body
    assert reply.body["fields"][0]["field"] == "url"
    if "localhost" in url:  # a name's address is not told: it mapped the deployment's internal DNS
        said = "host 'localhost' does not resolve to a public address (no address, or only private ones)"
        assert reply.body["fields"][0]["message"] == said


async def test_allow_private_needs_the_deployment_to_permit_the_tenant(api: ApiClient) -> None:
    body = {**HOOK, "url": "http://127.0.0.1:9/hook", "allow_private": True}
    refused = await api.request("POST", "/v1/subscriptions", json=body, tenant="globex")
    assert refused.status == 422 and refused.body["fields"][0]["field"] == "allow_private"
    accepted = await api.request("POST", "/v1/subscriptions", json=body, tenant="acme")
    assert accepted.status == 201 and accepted.body["allow_private"] is True


async def test_public_receivers_need_https_and_bad_fields_are_named(api: ApiClient) -> None:
    plain = await api.request("POST", "/v1/subscriptions", json={**HOOK, "url": "http://93.184.216.34/hook"})
    assert plain.status == 422 and plain.body["fields"][0]["field"] == "url"
    upper = await api.request("POST", "/v1/subscriptions", json={**HOOK, "url": "HTTPS://93.184.216.34/hook"})
    assert upper.status == 201, upper.body  # URL schemes are case-insensitive (RFC 3986 3.1)
    for body, field in (
        ({**HOOK, "url": "ftp://93.184.216.34/"}, "url"),
        ({**HOOK, "url": "https://93.184.216.34/", "events": ["conversation.deleted"]}, "events.0"),
        ({**HOOK, "url": "https://93.184.216.34/", "events": []}, "events"),
        ({"url": "https://93.184.216.34/"}, "events"),
        ({**HOOK, "url": "https://no-such-host.invalid/"}, "url"),
        # Stored as written (a NUL: 503 "retry" from PostgreSQL), sent to a path without them.
        ({**HOOK, "url": "https://93.184.216.34/\u0000"}, "url"),
        ({**HOOK, "url": "https://93.184.216.34/a\r\nX-Injected: 1"}, "url"),
        ({**HOOK, "url": "https://93.184.216.34/a\tb"}, "url"),
        ({**HOOK, "url": "https://93.184.216.34:0/hook"}, "url"),
        # a fragment is never sent, and its text was shown unmasked beside a masked query
        ({**HOOK, "url": "https://93.184.216.34/hook?token=secret#frag"}, "url"),
        ({**HOOK, "url": "https://93.184.216.34/", "description": "a\u0000b"}, "description"),
        ({**HOOK, "url": "https://93.184.216.34/", "description": "a\nb"}, "description"),
        ({**HOOK, "url": "https://93.184.216.34/", "allow_private": "yes"}, "allow_private"),
    ):
        reply = await api.request("POST", "/v1/subscriptions", json=body)
        assert reply.status == 422, (body, reply.body)
        assert reply.body["fields"][0]["field"] == field, reply.body
    bad = await api.request("POST", "/v1/subscriptions/sub_x/redeliver?from_sequence=1")
    assert bad.status == 422 and bad.body["fields"][0]["field"] == "subscription_id"


async def test_a_receiver_url_s_credentials_are_shown_to_its_writers_only(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    """A receiver URL with a password, a token in its path and one in its query: ops read the
    subscription (to watch it fail), never its credentials; the integrators who write subscriptions
    see the URL they wrote, so they can tell whether one they mean to create is there."""
    url = "https://crm-user:S3cretPassw0rd@93.184.216.34/hooks/T0AB/XyZsecret?token=abc123&region=eu"
    made = await api.request("POST", "/v1/subscriptions", json={**HOOK, "url": url})
    assert made.status == 201 and made.body["url"] == url, made.body
    sub_id = made.body["id"]
    for role, expected in (
        ("ops", "https://***@93.184.216.34/hooks/***?***"),
        ("integrator", url),
    ):
        listed = await as_role(api, settings, tenants["acme"], role, "GET", "/v1/subscriptions")
        one = await as_role(api, settings, tenants["acme"], role, "GET", f"/v1/subscriptions/{sub_id}")
        assert listed.body["subscriptions"][0]["url"] == one.body["url"] == expected, role
    shown = str((await as_role(api, settings, tenants["acme"], "ops", "GET", "/v1/subscriptions")).body)
    assert not any(secret in shown for secret in ("S3cret", "XyZsecret", "abc123"))
    # A query that is the token itself, and a path segment's parameters, were shown as written.
    for written, masked in (
        ("https://93.184.216.34/hook?SECRETTOKEN123", "https://93.184.216.34/hook?***"),
        ("https://93.184.216.34/a;jsessionid=SECRET/b", "https://93.184.216.34/a;***/***"),
        ("https://93.184.216.34/3f9a8b7c6d5e4f", "https://93.184.216.34/***"),
    ):
        made = await api.request("POST", "/v1/subscriptions", json={**HOOK, "url": written})
        assert made.status == 201, made.body
        one = await as_role(
            api, settings, tenants["acme"], "ops", "GET", f"/v1/subscriptions/{made.body['id']}"
        )
        assert one.body["url"] == masked, one.body


async def test_secrets_are_shown_once_and_tenants_never_see_each_others(api: ApiClient) -> None:
    made = await api.request("POST", "/v1/subscriptions", json={**HOOK, "url": "https://93.184.216.34/hook"})
    assert made.status == 201 and made.headers["Cache-Control"] == "no-store"
    sub_id = made.body["id"]
    assert made.body["secret"].startswith("whsec_") and made.body["state"] == "active"

    mine = await api.request("GET", "/v1/subscriptions")
    assert [s["id"] for s in mine.body["subscriptions"]] == [sub_id] and mine.body["next"] is None
    assert "secret" not in mine.body["subscriptions"][0]
    assert "secret" not in (await api.request("GET", f"/v1/subscriptions/{sub_id}")).body

    assert (await api.request("GET", "/v1/subscriptions", tenant="globex")).body["subscriptions"] == []
    for method, path in (
        ("GET", f"/v1/subscriptions/{sub_id}"),
        ("GET", f"/v1/subscriptions/{sub_id}/deliveries"),
        ("POST", f"/v1/subscriptions/{sub_id}/rotate-secret"),
        ("POST", f"/v1/subscriptions/{sub_id}/redeliver?from_sequence=1"),
        ("DELETE", f"/v1/subscriptions/{sub_id}"),
    ):
        reply = await api.request(method, path, tenant="globex")
        assert reply.status == 404, (method, path, reply.body)

    no_sequence = await api.request("POST", f"/v1/subscriptions/{sub_id}/redeliver")
    assert no_sequence.status == 422 and no_sequence.body["fields"][0]["field"] == "from_sequence"
    gone = await api.request("DELETE", f"/v1/subscriptions/{sub_id}")
    assert gone.status == 200 and gone.body == {"id": sub_id, "deleted": True}
    assert (await api.request("GET", f"/v1/subscriptions/{sub_id}")).status == 404


def test_public_means_public() -> None:
    """The ranges an attacker would aim at, also wrapped in IPv6, and addresses that are fine."""
    for refused in ("127.0.0.1", "10.0.0.1", "172.16.0.1", "100.100.0.1", "169.254.169.254", "239.1.1.1",
                    "255.255.255.255", "::1", "fc00::1", "fec0::1", "::ffff:10.0.0.1", "2002:7f00:1::",
                    "64:ff9b::c0a8:1", "2001:db8::1", "192.0.2.7"):  # fmt: skip
        assert not is_public(ipaddress.ip_address(refused)), refused
    for fine in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"):
        assert is_public(ipaddress.ip_address(fine)), fine
