"""What the API's answers tell caches: nothing of a tenant's is kept.

A conversation's answer names the customer and quotes what the rules read, a quarantined mail's is
the mail itself: without `Cache-Control` a browser, or a proxy between an integrator and us, could
keep them (only the export and the secrets shown once said `no-store`). The OpenAPI document is the
same for everyone and may be cached; an answer that says otherwise keeps its own header.
"""

from __future__ import annotations

from aiohttp import web

PUBLIC = frozenset({"/v1/openapi.json"})


async def no_store(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: runs after every middleware, so what idempotency keeps is unchanged."""
    if request.path.startswith("/v1/") and request.path not in PUBLIC:
        response.headers.setdefault("Cache-Control", "no-store")
