"""One aiohttp session per adapter for the worker's lifetime.

A session owns a connection pool: opening one per request (as the adapters first did) pays a new
TCP (and TLS) handshake for every message. The session is opened on first use, inside the worker's
event loop where async activities run, and closed when the worker shuts down.
"""

from __future__ import annotations

import aiohttp


class HttpSession:
    """A lazily opened aiohttp session with the adapter's timeout and headers."""

    def __init__(self, timeout: aiohttp.ClientTimeout, headers: dict[str, str] | None = None) -> None:
        self._timeout = timeout
        self._headers = headers or {}
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
