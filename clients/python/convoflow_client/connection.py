"""A client for the convoflow API whose every POST carries an `Idempotency-Key`.

The service answers a retried POST with the first answer when the key repeats (`Idempotent-Replayed:
true`) and runs it only once. A key made per call protects the retries below the call: httpx's
connection retries and anything an integrator's proxy repeats. To retry a call yourself, pass your
own `idempotency_key=` to the operation and pass the same one again; a key given is never replaced.

The key is added by a transport, not by each generated operation, so operations added to the API
(and regenerated into `convoflow_client.generated`) get one without a change here.
"""

from __future__ import annotations

import json
import ssl
import uuid
from typing import Any

import httpx

from .generated.client import AuthenticatedClient

IDEMPOTENCY_KEY = "Idempotency-Key"
# A reply's `Idempotency-Key` *is* its `message_id` (the service deduplicates replies by it for the
# conversation's life): a body that names its own message_id gets no generated key, which would differ.
OWN_ID_SUFFIXES = ("/replies",)


DEFAULT_TIMEOUT_SECONDS = 45.0
"""Above the service's default update timeout (30 s) and its backstop (2 s) with room for the network."""


def new_key() -> str:
    """A fresh Idempotency-Key: keep it to retry the same request safely."""
    return str(uuid.uuid4())


def needs_key(request: httpx.Request) -> bool:
    if request.method != "POST" or IDEMPOTENCY_KEY in request.headers:
        return False
    if request.url.path.endswith(OWN_ID_SUFFIXES):
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            return True
        return not (isinstance(body, dict) and body.get("message_id"))
    return True


class IdempotencyKeys(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Adds a new Idempotency-Key to each POST that has none, then sends it with httpx's own
    transports (sync and async, as the generated client makes both kinds of httpx client)."""

    def __init__(self, *, verify: ssl.SSLContext | str | bool = True, retries: int = 0) -> None:
        self._sync = httpx.HTTPTransport(verify=verify, retries=retries)
        self._async = httpx.AsyncHTTPTransport(verify=verify, retries=retries)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if needs_key(request):
            request.headers[IDEMPOTENCY_KEY] = new_key()
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if needs_key(request):
            request.headers[IDEMPOTENCY_KEY] = new_key()
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


def connect(
    base_url: str,
    api_key: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    verify: ssl.SSLContext | str | bool = True,
    retries: int = 0,
    **httpx_args: Any,
) -> AuthenticatedClient:
    """The generated client for `base_url` with the tenant's API key: Idempotency-Keys on POSTs, and
    an answer the document does not describe raised (`errors.UnexpectedStatus`), never returned as
    None. Use it as `async with connect(...) as client:` (or `with` for the sync operations).

    `timeout`: seconds per request. The service answers 503 with Retry-After when its worker is slow,
    after CONVOFLOW_UPDATE_TIMEOUT_SECONDS (30 by default): the default waits longer, so a slow worker
    is that documented 503 (`ProblemError`), not an `httpx.ReadTimeout` that loses the generated
    Idempotency-Key. With a longer service setting, give a longer `timeout`.
    `retries`: connection attempts httpx repeats (each with the request's same key).
    """
    return AuthenticatedClient(
        base_url=base_url,
        token=api_key,
        timeout=httpx.Timeout(timeout),
        raise_on_unexpected_status=True,
        httpx_args={"transport": IdempotencyKeys(verify=verify, retries=retries), **httpx_args},
    )
