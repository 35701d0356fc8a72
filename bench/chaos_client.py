"""The integrator side of the chaos benchmark: scripted conversations and a client that always retries.

Why the client retries the way it does: a request that got no answer (connection refused or reset,
a timeout) or a 5xx may or may not have reached the conversation, so the only safe thing is to send
the *same* request again, with the same `message_id` and `Idempotency-Key`, until an answer that is
not a 5xx comes back. The service must make that safe; the benchmark checks that it does. Every
answer is recorded, never asserted on here, so a service that answers 409 or 201 where it should
answer 200 shows up in the figures instead of stopping the run.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

StepKind = Literal["message", "reply", "status"]
CHANNELS = ("chat", "whatsapp", "sms")
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=45)  # above the API's 30 s update timeout


@dataclass(frozen=True, kw_only=True)
class Step:
    """One request of a conversation's script; its identity is the same on every retry."""

    kind: StepKind
    conversation: str
    ident: str
    """message_id of a message or reply, and the Idempotency-Key header of every kind."""
    thread: int
    """The thread the script means it for: 1 until the conversation is closed, then 2."""
    body: dict[str, Any]
    starts_thread: bool = False
    """The first customer message of a thread: the one that must be acknowledged."""

    @property
    def path(self) -> str:
        suffix = {"message": "messages", "reply": "replies", "status": "status"}[self.kind]
        return f"/v1/conversations/{self.conversation}/{suffix}"


@dataclass(kw_only=True)
class Outcome:
    """What the client finally learnt about a step, and what it took."""

    step: Step
    status: int | None
    """The final HTTP status; None when the client gave up retrying."""
    body: Any
    attempts: int
    first_sent_at: float
    """`time.monotonic()` of the first attempt: nothing this step causes can arrive before it."""
    retry_reasons: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """2xx; or a close answered `conversation_closed` after an attempt that may have closed it."""
        if self.status is not None and 200 <= self.status < 300:
            return True
        return (
            self.step.kind == "status"
            and self.step.body.get("status") == "closed"
            and self.status == 409
            and self.attempts > 1
            and isinstance(self.body, dict)
            and self.body.get("error") == "conversation_closed"
        )


def script(conversation: str, n: int) -> list[Step]:
    """Thread 1: message, reply, solved, message (reopens), reply, closed.
    Thread 2: a message after close (starts a new thread), reply, closed."""
    channel = CHANNELS[n % len(CHANNELS)]
    sender = {"address": f"chat-user-{n}" if channel == "chat" else f"+49151{n:08d}", "name": f"Ada {n}"}

    def message(i: int, thread: int, text: str, starts: bool = False) -> Step:
        ident = f"{conversation}-m{i}"
        body = {"message_id": ident, "channel": channel, "sender": sender, "text": text}
        return Step(
            kind="message",
            conversation=conversation,
            ident=ident,
            thread=thread,
            body=body,
            starts_thread=starts,
        )

    def reply(i: int, thread: int) -> Step:
        ident = f"{conversation}-r{i}"
        body = {"agent_id": "agent-7", "message_id": ident, "text": f"Agent reply {i} to {conversation}"}
        return Step(kind="reply", conversation=conversation, ident=ident, thread=thread, body=body)

    def status(i: int, thread: int, value: str) -> Step:
        ident = f"{conversation}-s{i}"
        return Step(
            kind="status", conversation=conversation, ident=ident, thread=thread, body={"status": value}
        )

    return [
        message(1, 1, "My invoice is wrong", starts=True),
        reply(1, 1),
        status(1, 1, "solved"),
        message(2, 1, "It is still wrong"),
        reply(2, 1),
        status(2, 1, "closed"),
        message(3, 2, "A new question about my order", starts=True),
        reply(3, 2),
        status(3, 2, "closed"),
    ]


class RetryingClient:
    """POSTs a step until the API answers anything but a 5xx (or a 409 `idempotency_key_in_use`),
    backing off up to `max_backoff`."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, api_key: str, *, give_up_after: float = 600.0
    ) -> None:
        self._session = session
        self._base_url = base_url
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._give_up_after = give_up_after
        self._random = random.Random(7)
        self.max_backoff = 2.0

    async def send(self, step: Step) -> Outcome:
        started = time.monotonic()
        outcome = Outcome(step=step, status=None, body=None, attempts=0, first_sent_at=started)
        headers = {**self._auth, "Idempotency-Key": step.ident}
        while True:
            outcome.attempts += 1
            status, body, reason = await self._attempt("POST", step.path, step.body, headers)
            if reason is None:
                outcome.status, outcome.body = status, body
                return outcome
            outcome.retry_reasons.append(reason)
            if time.monotonic() - started > self._give_up_after:
                return outcome
            await asyncio.sleep(self._backoff(outcome.attempts))

    async def get(self, path: str) -> tuple[int, Any]:
        """A GET with the same retries (a read during a restart must not fail the verification)."""
        attempts = 0
        while True:
            attempts += 1
            status, body, reason = await self._attempt("GET", path, None, self._auth)
            if reason is None:
                return status, body
            await asyncio.sleep(self._backoff(attempts))

    async def _attempt(
        self, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> tuple[int, Any, str | None]:
        """(status, JSON body, None) for a final answer; the reason to retry otherwise."""
        try:
            async with self._session.request(
                method, self._base_url + path, json=body, headers=headers, timeout=REQUEST_TIMEOUT
            ) as response:
                text = await response.text()
        except TimeoutError:
            return 0, None, "timeout"
        except aiohttp.ClientError as exc:
            return 0, None, type(exc).__name__
        try:
            data: Any = json.loads(text) if text else None
        except ValueError:
            data = text
        code = data.get("error") if isinstance(data, dict) else None
        # 409 `idempotency_key_in_use` is not an answer to the request: the key's claim is still
        # held (by an attempt whose API process was killed, until its lease ends), and the API says
        # to retry (`Retry-After`). Taken as final, a close was counted refused though the retry
        # would have run it, and the next message, landing in the still open thread, looked like a
        # new thread that never got its acknowledgement.
        if response.status >= 500 or (response.status == 409 and code == "idempotency_key_in_use"):
            return response.status, data, f"{response.status} {code or ''}".strip()
        return response.status, data, None

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff, 0.1 * 2 ** min(attempt, 10)) * (0.5 + self._random.random())


class Progress:
    """Steps finished so far; chaos events wait for a fraction of them instead of sleeping."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.finished = False
        self._waiters: list[tuple[int, asyncio.Event]] = []

    def advance(self) -> None:
        self.done += 1
        for threshold, event in self._waiters:
            if self.done >= threshold:
                event.set()

    def finish(self) -> None:
        """Every script has ended: wake whoever still waits for a fraction that will never come."""
        self.finished = True
        for _, event in self._waiters:
            event.set()

    async def reached(self, fraction: float) -> bool:
        """Wait until `fraction` of the steps are done; False when the run ended first."""
        threshold = max(1, int(self.total * fraction))
        if self.done < threshold and not self.finished:
            event = asyncio.Event()
            self._waiters.append((threshold, event))
            await event.wait()
        return self.done >= threshold


async def drive(client: RetryingClient, steps: list[Step], progress: Progress) -> list[Outcome]:
    """Run one conversation's script in order; a rejected step is recorded and the script goes on."""
    outcomes = []
    for step in steps:
        outcomes.append(await client.send(step))
        progress.advance()
    return outcomes
