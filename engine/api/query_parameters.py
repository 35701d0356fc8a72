"""A query parameter a route does not declare is refused: 422 naming it, on every route of the API.

A filter the route did not know was dropped without a word on most lists (`GET /v1/agents?team=billing`
answered every agent, `GET /v1/keys?role=admin` every key): the answer looked like an answer to
what was asked. The conversation list, the deliveries and a few others refused one already, each
with its own list; this reads the names every operation declares in the OpenAPI document, so the
contract an integrator's client is generated from is the one the API holds them to, and a route
that takes a new parameter must declare it there first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache

from aiohttp import web

from engine.api.errors import invalid_field
from engine.api.openapi import ROUTES, operation_parameters

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@cache
def declared_parameters() -> dict[tuple[str, str], tuple[str, ...]]:
    """Each operation's query parameters by (method, path template), as the OpenAPI document declares
    them (its parameters alone: the whole document's schemas took 150 ms, on the first request)."""
    return {
        (method, path): tuple(p["name"] for p in operation_parameters(method, path) if p["in"] == "query")
        for method, path in ROUTES
    }


# Machines that call us with URLs of their own making: a gateway's webhook URL with a tracking
# parameter, a probe's or scraper's cache buster. A 422 there lost the message (gateways do not
# retry a 4xx) or failed a probe; what they add is ignored, as before.
MACHINE_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/v1/openapi.json"})
MACHINE_PREFIX = "/v1/inbound/"


@web.middleware
async def known_parameters(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.query and request.path not in MACHINE_PATHS and not request.path.startswith(MACHINE_PREFIX):
        resource = request.match_info.route.resource
        method = "GET" if request.method == "HEAD" else request.method
        known = declared_parameters().get((method, resource.canonical)) if resource is not None else None
        if known is not None:
            for name in request.query:
                if name not in known:
                    listed = f"the parameters are {', '.join(known)}" if known else "this route takes none"
                    raise invalid_field(name, f"unknown parameter; {listed}")
                if len(request.query.getall(name)) > 1:  # `?thread=1&thread=2` read the first
                    raise invalid_field(name, "given more than once: one value per parameter")
    return await handler(request)
