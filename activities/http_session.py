"""One aiohttp session per adapter for the worker's lifetime.

A session owns a connection pool: opening one per request (as the adapters first did) pays a new
TCP (and TLS) handshake for every message. The session is opened on first use, inside the worker's
event loop where async activities run, and closed when the worker shuts down. A session for URLs a
tenant names (its subscriptions, a rule's `call_webhook`) connects only to public addresses: it
resolves through `PublicOnlyResolver`, so a name that changes to a private address between the
check (engine/public_addresses.py) and the connection is refused too.
"""

from __future__ import annotations

import ipaddress
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from engine.public_addresses import is_public


class PublicOnlyResolver(AbstractResolver):
    """aiohttp's threaded resolver, refusing a name with any address that is not public."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            if not is_public(ipaddress.ip_address(result["host"])):  # its address is not told (check_url)
                raise OSError(f"host {host!r} does not resolve to a public address")
        return results

    async def close(self) -> None:
        await self._inner.close()


class HttpSession:
    """A lazily opened aiohttp session with the adapter's timeout and headers."""

    def __init__(
        self,
        timeout: aiohttp.ClientTimeout,
        headers: dict[str, str] | None = None,
        *,
        public_only: bool = False,
    ) -> None:
        self._timeout = timeout
        self._headers = headers or {}
        self._public_only = public_only  # connect only to public addresses (a URL a tenant named)
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = (
                aiohttp.TCPConnector(resolver=PublicOnlyResolver(), use_dns_cache=False)
                if self._public_only
                else None
            )
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers=self._headers, connector=connector
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
