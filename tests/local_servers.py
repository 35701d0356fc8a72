"""Real servers on 127.0.0.1 that play the far side of an adapter and remember what they received."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from engine.service.temporal_server import free_port


@dataclass
class GatewayRequest:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class FakeGateway:
    """A chat/WhatsApp gateway: answers with the queued statuses (then 200), dedups by Idempotency-Key."""

    statuses: list[int] = field(default_factory=list)
    requests: list[GatewayRequest] = field(default_factory=list)
    accepted: dict[str, dict] = field(default_factory=dict)
    hold: asyncio.Event | None = None  # when set, requests wait for it before answering
    retry_after: str | None = None  # the Retry-After header of every answer but a 200
    arrival_times: list[float] = field(default_factory=list)  # time.monotonic() of each request
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(GatewayRequest(dict(request.headers), body))
        self.arrival_times.append(time.monotonic())
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.accepted.setdefault(request.headers["Idempotency-Key"], json.loads(body))
        headers = {"Retry-After": self.retry_after} if self.retry_after and status != 200 else None
        return web.json_response({"status": status}, status=status, headers=headers)


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A 127.0.0.1 port that refuses connections for the duration of the block: bound, never listening.

    A port found free and let go (`free_port`) can be handed to the next server the test starts (the
    API's), which then answers what was meant to find nothing there, and logs it.
    """
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@contextlib.asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[TestServer]:
    """An aiohttp application on a free 127.0.0.1 port for the duration of the block."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def serve_gateway(gateway: FakeGateway) -> AsyncIterator[FakeGateway]:
    app = web.Application()
    app.router.add_post("/send", gateway.handle)
    async with serve_app(app) as server:
        gateway.url = str(server.make_url("/send"))
        try:
            yield gateway
        finally:
            if gateway.hold is not None:
                gateway.hold.set()  # let held requests finish so the server can close


@dataclass
class FakeCrm:
    """A REST CRM: customers by email, and the PATCHes and notes it was sent."""

    customers: dict[str, dict] = field(default_factory=dict)
    patches: list[tuple[str, dict, str]] = field(default_factory=list)
    notes: list[tuple[str, dict, str]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    url: str = ""

    async def lookup(self, request: web.Request) -> web.Response:
        self.auth.append(request.headers.get("X-Api-Key", ""))
        for column in ("external_id", "email", "phone"):
            value = request.query.get(column)
            if value and value in self.customers:
                return web.json_response(self.customers[value])
        return web.json_response({"error": "not found"}, status=404)

    async def patch(self, request: web.Request) -> web.Response:
        self.patches.append(
            (request.match_info["id"], await request.json(), request.headers["Idempotency-Key"])
        )
        return web.json_response({"ok": True})

    async def note(self, request: web.Request) -> web.Response:
        self.notes.append(
            (request.match_info["id"], await request.json(), request.headers["Idempotency-Key"])
        )
        return web.json_response({"ok": True}, status=201)


@contextlib.asynccontextmanager
async def serve_crm(crm: FakeCrm) -> AsyncIterator[FakeCrm]:
    app = web.Application()
    app.router.add_get("/api/customers", crm.lookup)
    app.router.add_patch("/api/customers/{id}", crm.patch)
    app.router.add_post("/api/customers/{id}/notes", crm.note)
    async with serve_app(app) as server:
        crm.url = str(server.make_url("/api"))
        yield crm


class _SmtpInbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_data: str | None = None
        """An answer to DATA instead of taking the mail ("552 5.3.4 too big", "451 4.3.0 later")."""
        self.refuse_sender: str | None = None
        """An answer to MAIL FROM ("553 5.7.1 not yours", "451 4.7.1 greylisted")."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        if self.refuse_sender is not None:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse_data is not None:
            return self.refuse_data
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


@contextlib.contextmanager
def serve_smtp(login: tuple[str, str] | None = None):
    """A relay on 127.0.0.1; with `login`, one that requires AUTH with that user and password (over
    plain SMTP: a test relay has no certificate)."""
    inbox = _SmtpInbox()
    auth: dict[str, Any] = {}
    if login is not None:

        def authenticator(server, session, envelope, mechanism, given) -> AuthResult:
            said = (given.login.decode(), given.password.decode())
            return AuthResult(success=isinstance(given, LoginPassword) and said == login, handled=False)

        auth = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **auth)
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()
