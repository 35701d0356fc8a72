"""schemathesis over the served OpenAPI document, every operation: no 5xx, no answer the document
does not describe (status, headers, body schema, content type)."""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_client import ApiClient, api_key

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
)
EXAMPLES = 3  # per operation: bounded runtime, derandomized so every run sends the same requests
# `POST /v1/inbound/email` takes a raw mail (message/rfc822), which schemathesis has no serializer for:
# a readable mail, or any bytes at all.
MAIL = b"From: Bea <bea@customer.example>\r\nMessage-ID: <fuzz-1@customer.example>\r\n\r\nhello\r\n"
schemathesis.openapi.media_type(
    "message/rfc822", st.one_of(st.just(MAIL), st.binary(min_size=1, max_size=2000))
)


# Every operation of the document in one test (~80 of them, growing with the API): 72 s alone on a
# loaded 2-core machine, over the suite's 120 s beside other suites.
@pytest.mark.timeout(600)
async def test_every_operation_holds_its_document(api: ApiClient, worker: None) -> None:
    document = (await api.request("GET", "/v1/openapi.json", tenant=None)).body
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {api_key(api.tenants['acme'])}"}
    assert (await api.post_message("fuzz-1", "m-1")).status == 201  # something to read
    failures: list[str] = []

    def run(operation) -> None:
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case) -> None:
            response = case.call(base_url=api.base_url, headers=headers, timeout=30)
            try:
                case.validate_response(response, checks=CHECKS)
            except AssertionError as exc:
                failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:600]}")

        check()

    def run_all() -> None:
        for result in schema.get_all_operations():
            run(result.ok())

    await asyncio.to_thread(run_all)
    assert not failures, "\n".join(failures[:20])
