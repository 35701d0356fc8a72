"""A body limit on every ingress, answered with 413 JSON naming the body and the limit.

The app's `client_max_size` is the largest limit of any route (a rule pack); this middleware gives
each request the limit of its own route before anything reads the body, so a conversation event,
a signed webhook or an inbound email is cut off at its route's limit however it is sent:
with a Content-Length over the limit (refused before reading), or chunked without one (reading
stops at the limit). Whatever aiohttp raises for a body over the limit leaves as our JSON 413,
never aiohttp's plain-text page. It runs outside auth and the rate limiter, so the request they
and the handler see is the one with the route's limit.
"""

from __future__ import annotations

from aiohttp import web

from engine.api.errors import Handler, body_too_large
from engine.service.config import Settings

# The rule-pack routes, and the console's workbench that posts packs to the same pack workers.
RULES_PREFIXES = ("/v1/rules/", "/console/rules/")
EMAIL_PATH = "/v1/inbound/email"


def limit_of(request: web.Request, settings: Settings) -> int:
    """The largest body the request's route takes: a pack for the rule routes, a raw mail for inbound
    email (its own setting: attachments make mail larger than events), an event elsewhere."""
    if request.path.startswith(RULES_PREFIXES):
        return settings.max_rules_body_bytes
    if request.path == EMAIL_PATH:
        return settings.max_email_bytes
    return settings.max_body_bytes


def body_limits(settings: Settings):
    @web.middleware
    async def limit_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.body_exists:
            return await handler(request)
        limit = limit_of(request, settings)
        if request.content_length is not None and request.content_length > limit:
            raise body_too_large(limit)
        try:
            return await handler(request.clone(client_max_size=limit))
        except web.HTTPRequestEntityTooLarge:
            raise body_too_large(limit) from None

    return limit_bodies
