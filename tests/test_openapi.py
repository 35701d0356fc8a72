"""The OpenAPI document describes exactly the routes the application serves, with their models."""

from __future__ import annotations

from engine.api.openapi import build_document
from engine.contracts.ids import ID_PATTERN
from tests.api_client import ApiClient


async def test_document_is_served_without_a_key_and_covers_every_route(api: ApiClient) -> None:
    served = await api.request("GET", "/v1/openapi.json", tenant=None)
    assert served.status == 200 and served.body["openapi"] == "3.1.0"
    document = build_document()
    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    app = api.app
    registered = {
        (route.method, route.resource.canonical) for route in app.router.routes() if route.method != "HEAD"
    }
    # The console's pages are for people in a browser, not an integrator's contract.
    pages = {r for r in registered if r[1] == "/console" or r[1].startswith("/console/")}
    assert pages and described == registered - pages


def test_request_models_carry_their_required_fields() -> None:
    document = build_document()
    schemas = document["components"]["schemas"]
    post = document["paths"]["/v1/conversations/{conversation_id}/messages"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schemas[ref]["required"]) == {"message_id", "channel", "sender"}  # `text`: see PostMessage
    assert post["security"] == [{"bearer": []}]
    webhook = document["paths"]["/v1/inbound/webhook/{tenant}"]["post"]
    assert "security" not in webhook


def test_routes_that_wait_for_a_worker_document_503_with_retry_after() -> None:
    paths = build_document()["paths"]
    for path, method in (
        ("/v1/conversations/{conversation_id}/messages", "post"),
        ("/v1/conversations/{conversation_id}", "get"),
        ("/v1/inbound/webhook/{tenant}", "post"),
    ):
        assert "Retry-After" in paths[path][method]["responses"]["503"]["headers"]
    assert "503" not in paths["/healthz"]["get"]["responses"]


def test_every_post_but_signed_webhooks_and_customer_requests_documents_the_idempotency_key_header() -> None:
    """A data subject's requests ignore it: their answers are a customer's data, kept nowhere."""
    for path, operations in build_document()["paths"].items():
        if "post" in operations:
            headers = [p["name"] for p in operations["post"].get("parameters", []) if p["in"] == "header"]
            ignored = path == "/v1/inbound/webhook/{tenant}" or path.startswith("/v1/customers/")
            expected = [] if ignored else ["Idempotency-Key"]
            assert headers == expected, path


def test_errors_are_problems_and_path_parameters_have_patterns() -> None:
    paths = build_document()["paths"]
    get = paths["/v1/conversations/{conversation_id}"]["get"]
    assert get["parameters"][0]["schema"]["pattern"] == ID_PATTERN
    assert set(get["responses"]) >= {"200", "401", "403", "404", "422", "429", "503"}
    assert "application/problem+json" in get["responses"]["404"]["content"]
    listing = paths["/v1/conversations"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"limit", "cursor", "status"}
