"""What a connection to one of our HTTP servers may hold: a bounded share of the process, for a
bounded time before it says what it wants, and no compressed body to inflate.

Without a key, anyone who reached the API could stall it (helper-107): 20,000 connections that
sent nothing took every file descriptor of the process the worker shares under `convoflow up`
(`/healthz` unanswered, asyncio logging each refused accept with a traceback, 80 MB in 20 s), a
header trickled a line every 3 s held its connection for minutes, and forty 194 KB gzip bodies each
inflated to 200 MB on the event loop (a 20 s stall) before the 401 or 413. Here, on top of
aiohttp's own handler (private hooks of aiohttp 3.14, which pyproject pins below 4):

- at most MAX_CONNECTIONS at once (or half the process's descriptor limit): one more is closed as
  it is accepted, so descriptors stay for the worker and the database;
- a request's head (request line and headers) within HEAD_SECONDS of the connection, or it closes;
- `Content-Encoding` of a request is refused with 415 before anything reads the body (aiohttp's
  inflating is off): no client of ours compresses what it sends;
- a head aiohttp cannot parse (too long, too many headers) answers 400 in JSON, without the bytes
  it quotes (an `Authorization` header among them) in the answer or the log.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from engine.api.errors import ApiError, named

log = logging.getLogger("convoflow.api")

MAX_CONNECTIONS = 1000
HEAD_SECONDS = 10.0
# A kept-alive connection waits this long for its next request (aiohttp's handler waits an hour by
# default): longer than clients keep an idle one (aiohttp's client 15 s), so a client never reuses
# one the server is closing at that instant; a next request trickled is cut at the same time.
KEEPALIVE_SECONDS = 75.0
# The refusals at the cap are logged at most once this often (each was a line: a flood again).
REFUSALS_LOGGED_EVERY = 60.0


def connection_cap(share: float = 1.0) -> int:
    """MAX_CONNECTIONS, or half the process's descriptor limit when that is lower, times the
    server's `share` of them (the API most; the metrics and codec servers a little)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    whole = MAX_CONNECTIONS if soft == resource.RLIM_INFINITY else min(MAX_CONNECTIONS, max(32, soft // 2))
    return max(1, int(whole * share))


class GuardedHandler(RequestHandler):
    head_seconds: float = HEAD_SECONDS

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._head_deadline: asyncio.TimerHandle | None = None
        server = self._manager
        if isinstance(server, GuardedServer) and len(server._connections) > server.cap:
            server.refused(self._loop.time())
            self.force_close()
            return
        self._head_deadline = self._loop.call_later(self.head_seconds, self._head_too_slow)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._request_count and self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def connection_lost(self, exc: BaseException | None) -> None:
        if getattr(self, "_head_deadline", None) is not None:
            self._head_deadline.cancel()  # type: ignore[union-attr]
        super().connection_lost(exc)

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self._request_count:
            self.force_close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status != 400:
            return super().handle_error(request, status, exc, message)
        # aiohttp's answer and log line quote the bytes it could not read: a header's, a key's.
        log.debug("a request's head could not be read (%s)", type(exc).__name__)
        answer = ApiError(
            400,
            "bad_request",
            "the request's line or headers could not be read: too long (8190 bytes a line), too many "
            "headers (128), or malformed",
            named("headers", "not readable"),
        ).response()
        answer.force_close()
        return answer


class GuardedServer(Server):
    cap: int = MAX_CONNECTIONS
    _last_refusal: float = float("-inf")
    _refusals: int = 0

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self, loop=self._loop, **self._kwargs)

    def refused(self, now: float) -> None:
        self._refusals += 1
        if now - self._last_refusal >= REFUSALS_LOGGED_EVERY:
            log.warning(
                "%d connection(s) refused: %d are open, the most this server takes", self._refusals, self.cap
            )
            self._last_refusal, self._refusals = now, 0


class GuardedAppRunner(web.AppRunner):
    """An AppRunner whose connections are GuardedHandler's; `share` of the process's connections."""

    def __init__(self, app: web.Application, *, share: float = 1.0, **kwargs: Any) -> None:
        kwargs.setdefault("access_log", None)
        kwargs.setdefault("keepalive_timeout", KEEPALIVE_SECONDS)
        super().__init__(app, auto_decompress=False, **kwargs)
        app.middlewares.insert(0, refuse_encoded_bodies)
        self._cap = connection_cap(share)

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = GuardedServer  # the application's server, making guarded handlers
        server.cap = self._cap  # type: ignore[attr-defined]
        return server


@web.middleware
async def refuse_encoded_bodies(request: web.Request, handler: Any) -> web.StreamResponse:
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if request.body_exists and encoding not in ("", "identity"):
        return ApiError(
            415,
            "unsupported_encoding",
            "Content-Encoding is not accepted: send the body uncompressed",
            named("Content-Encoding", "not accepted"),
        ).response()
    return await handler(request)
