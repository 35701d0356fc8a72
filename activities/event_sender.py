"""The HTTP side of event subscriptions: one signed POST of one event to a subscriber's URL.

Standard Webhooks: `webhook-id` is the event's id (the same for every attempt and redelivery, so
receivers drop repeats), `webhook-timestamp` the attempt's time, `webhook-signature` one `v1,`
signature per valid secret (two while a rotation overlaps), made by engine/webhook_signature.py, the
signer the webhook gateway uses too.

SSRF: the URL's addresses are checked at every attempt (engine/public_addresses.py), and a
subscription that may not reach private addresses goes through a session whose resolver refuses
them again when it connects, so a name that changes its answer between the check and the connection
(DNS rebinding) is still refused. Redirects are never followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from activities.http_session import HttpSession
from engine import webhook_signature
from engine.public_addresses import AddressRefused, check_url

USER_AGENT = "convoflow-webhooks/1"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What one attempt came to; `error` never holds the response body (it may echo the event)."""

    delivered: bool
    status_code: int | None
    error: str | None
    latency_ms: int


class EventSender:
    """Two sessions for the worker's lifetime: public-only, and one for subscriptions allowed to
    reach private addresses (their tenant permits it)."""

    def __init__(self, timeout_seconds: float) -> None:
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._public = HttpSession(timeout, public_only=True)
        self._private = HttpSession(timeout)

    def _session(self, allow_private: bool) -> aiohttp.ClientSession:
        return (self._private if allow_private else self._public).get()

    async def close(self) -> None:
        await self._public.close()
        await self._private.close()

    async def send(
        self,
        url: str,
        body: dict[str, Any],
        *,
        event_id: str,
        secrets: Sequence[str],
        allow_private: bool,
    ) -> Outcome:
        started = time.monotonic()

        def outcome(delivered: bool, status: int | None, error: str | None) -> Outcome:
            return Outcome(
                delivered=delivered,
                status_code=status,
                error=error,
                latency_ms=int((time.monotonic() - started) * 1000),
            )

        try:
            await check_url(url, allow_private=allow_private)
        except AddressRefused as exc:
            return outcome(False, None, f"address refused: {exc}")
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **webhook_signature.headers(list(secrets), event_id, int(time.time()), data),
        }
        try:
            async with self._session(allow_private).post(
                url, data=data, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
        except TimeoutError:
            return outcome(False, None, "timeout: no answer in time")
        except aiohttp.ClientError as exc:
            if "resolve to a public address" in str(exc):  # the public-only resolver, when connecting
                return outcome(False, None, "address refused: the host resolved to a non-public address")
            return outcome(False, None, f"unreachable: {type(exc).__name__}")
        except OSError as exc:  # the public-only resolver's refusal
            return outcome(False, None, f"address refused: {exc}")
        if 200 <= status < 300:
            return outcome(True, status, None)
        if 300 <= status < 400:
            return outcome(False, status, f"HTTP {status}: redirect not followed")
        return outcome(False, status, f"HTTP {status}")
