"""The outbox as tests read it: the rows in the test's control-plane database, not the JSONL mirror.

Tests poll it from synchronous helpers (and from sync activities on the worker's thread pool), often
inside a running event loop, so each call runs on its own short-lived loop and engine in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from activities.outbox import Outbox
from engine.contracts.outbound import DeliveryResult, OutboundMessage
from engine.db.connection import open_engine
from engine.service.config import Settings

T = TypeVar("T")


class OutboxRows:
    def __init__(self, settings: Settings) -> None:
        self._url = settings.database

    def read_all(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """Every delivered message, oldest first, with the fields the JSONL mirror has."""
        return self._run(lambda outbox: outbox.read_all(tenant))

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        """The worker's own delivery into the same table (for activities that replace it)."""
        return self._run(lambda outbox: outbox.deliver(message))

    def _run(self, use: Callable[[Outbox], Awaitable[T]]) -> T:
        async def once() -> T:
            engine = open_engine(self._url)
            try:
                return await use(Outbox(engine))
            finally:
                await engine.dispose()

        with ThreadPoolExecutor(max_workers=1) as thread:
            return thread.submit(asyncio.run, once()).result()
