"""The API as `convoflow up` serves it, against clients that hold connections or send bombs
without a key (helper-107): each is cut off, and the API goes on answering others."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from temporalio.client import Client

from engine.api.app import create_app
from engine.api.auth import KeyStore
from engine.service import connection_guard
from engine.service.config import Settings
from engine.service.temporal_server import free_port
from tests.polling import eventually

WITHIN = 10.0  # how long a test waits for what it expects (generous: a loaded CI machine)


@asynccontextmanager
async def guarded_api(client: Client, settings: Settings) -> AsyncIterator[int]:
    runner = connection_guard.GuardedAppRunner(create_app(client, settings, KeyStore.from_settings(settings)))
    await runner.setup()
    port = free_port()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """The server closed the connection (EOF, or a reset), having sent nothing before."""
    try:
        return await asyncio.wait_for(reader.read(), WITHIN) == b""
    except ConnectionResetError:
        return True


async def healthz(port: int) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as answer:
        return answer.status


async def test_a_connection_that_says_nothing_is_closed_and_others_are_served(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection that sent no request was held for ever; a header trickled a line at a time too."""
    monkeypatch.setattr(connection_guard.GuardedHandler, "head_seconds", 0.3)
    async with guarded_api(client, settings) as port:
        silent_reader, silent = await asyncio.open_connection("127.0.0.1", port)
        trickle_reader, trickle = await asyncio.open_connection("127.0.0.1", port)
        trickle.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the end of its head
        assert await closed_by_server(silent_reader)
        assert await closed_by_server(trickle_reader)
        assert await healthz(port) == 200
        silent.close()
        trickle.close()


async def test_a_kept_alive_connection_idle_after_its_request_is_closed(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp's handler keeps an idle kept-alive connection an hour: one request each, then
    silence, held every slot of the cap for that long."""
    monkeypatch.setattr(connection_guard, "KEEPALIVE_SECONDS", 0.3)
    async with guarded_api(client, settings) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answered = await asyncio.wait_for(reader.read(), WITHIN)  # the answer, then the close
        writer.close()
    assert answered.startswith(b"HTTP/1.1 200"), answered


async def test_connections_past_the_cap_are_refused_not_the_process_s_descriptors(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20,000 idle connections took every descriptor of the process (the worker's too)."""
    monkeypatch.setattr(connection_guard, "MAX_CONNECTIONS", 3)
    async with guarded_api(client, settings) as port:
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await closed_by_server(reader)
        writer.close()
        for _, idle in held:
            idle.close()
            await idle.wait_closed()
        assert await healthz(port) == 200  # room again once they are gone


async def test_a_compressed_body_is_refused_before_it_is_inflated(client: Client, settings: Settings) -> None:
    """A 194 KB gzip body inflating to 200 MB was inflated on the event loop (a 20 s stall) before
    the 401: compressed request bodies are refused, unread."""
    bomb = gzip.compress(b'{"text": "' + b"y" * 20_000_000 + b'"}', 9)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    async with guarded_api(client, settings) as port, aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/v1/conversations/c-1/messages"
        async with session.post(url, data=bomb, headers=headers) as answer:
            body = await answer.json()
    assert answer.status == 415 and body["error"] == "unsupported_encoding", body
    assert (
        body["fields"][0]["field"] == "Content-Encoding" and body["status"] == 415
    )  # RFC 9457, as every error


async def test_a_head_too_long_to_read_is_a_json_400_that_quotes_nothing(
    client: Client, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp answered text/plain quoting the bytes it could not read: a key's, here."""
    key = "Bearer " + "k" * 9000
    async with guarded_api(client, settings) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /v1/conversations HTTP/1.1\r\nHost: x\r\nAuthorization: {key}\r\n\r\n".encode())
        answer = await asyncio.wait_for(reader.read(), WITHIN)
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b" 400 Bad Request") and b"application/problem+json" in head, head
    assert json.loads(body)["error"] == "bad_request" and b"kkkk" not in answer
    assert "kkkk" not in caplog.text


async def test_a_client_leaving_mid_body_is_not_a_database_outage(
    client: Client, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that announced 1,000 bytes, sent one and left was logged as "database unavailable":
    any key holder could fill ops' log with outages that were not."""
    caplog.set_level(logging.DEBUG, logger="convoflow.api")
    assert settings.api_keys is not None
    key = settings.api_keys.get_secret_value().split(",")[0].split(":")[1]
    async with guarded_api(client, settings) as port:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /v1/conversations/c-gone/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + key.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        await writer.drain()
        writer.close()
        await eventually(
            lambda: _logged(caplog, "client left during POST"), "the server saw the client leave"
        )
    assert "database unavailable" not in caplog.text and "Error handling request" not in caplog.text


async def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return text in caplog.text
