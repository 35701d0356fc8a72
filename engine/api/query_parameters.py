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
from engine.api.openapi import build_document

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@cache
def declared_parameters() -> dict[tuple[str, str], tuple[str, ...]]:
    """Each operation's query parameters by (method, path template), from the OpenAPI document."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for path, operations in build_document()["paths"].items():
        for method, operation in operations.items():
            names = tuple(p["name"] for p in operation.get("parameters", ()) if p["in"] == "query")
            found[(method.upper(), path)] = names
    return found


@web.middleware
async def known_parameters(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.query:
        resource = request.match_info.route.resource
        method = "GET" if request.method == "HEAD" else request.method
        known = declared_parameters().get((method, resource.canonical)) if resource is not None else None
        if known is not None:
            for name in request.query:
                if name not in known:
                    listed = f"the parameters are {', '.join(known)}" if known else "this route takes none"
                    raise invalid_field(name, f"unknown parameter; {listed}")
    return await handler(request)
