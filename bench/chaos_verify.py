"""What the chaos benchmark checks once the system is quiet: nothing lost in, nothing lost or doubled out.

Why the checks are shaped this way:
- Inbound is checked by message id, not only by count: a lost message and a double-counted one
  must not cancel out. `held_inbound` is the one place that knows how to ask the service which
  customer messages a conversation holds, across all its threads; adapt it when the API changes.
- Agent replies carry a text unique to the step, so a reply's sends are found by text, and distinct
  idempotency keys among them are logical sends (two = a duplicate send; one key seen twice = a
  transport retry, which the key makes harmless).
- An acknowledgement's text is the same in every thread, so acknowledgements are given to threads by
  time: thread k's window opens when its first message was first sent (nothing can acknowledge a
  message before it is sent) and closes when thread k+1's opens (the script sends that message only
  after the close of thread k was answered, and a workflow handles events one at a time).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio.client import Client

from bench.chaos_client import Outcome, RetryingClient
from bench.chaos_gateway import Received
from engine.contracts.conversation import conversation_workflow_id

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Held:
    """The customer messages the service holds for one conversation, over all its threads."""

    threads: int
    message_ids: frozenset[str]
    counted: int
    """The sum of the threads' customer message counters."""
    status: str
    """The status of the latest thread."""
    source: str
    """`api` (GET .../threads and per-thread decisions) or `temporal` (each run's state)."""


async def held_inbound(api: RetryingClient, conversation: str) -> Held:
    """Which customer message ids the conversation holds: its threads at GET .../threads, and the
    message ids in its decision trail (entries of message events carry `message_id`; the script's
    conversations are far below the 500 entries a trail keeps)."""
    status, body = await api.get(f"/v1/conversations/{conversation}/threads")
    if status != 200 or not isinstance(body, dict) or "threads" not in body:
        return Held(threads=0, message_ids=frozenset(), counted=0, status=f"HTTP {status}", source="api")
    # One trail for all threads (entries carry their thread): each query may cost a worker a replay.
    _, trail = await api.get(f"/v1/conversations/{conversation}/decisions")
    entries = trail.get("decisions", []) if isinstance(trail, dict) else []
    ids = {e["message_id"] for e in entries if e.get("message_id")}
    counted = sum(int(thread.get("customer_messages", 0)) for thread in body["threads"])
    latest = str(body["threads"][-1].get("status", "")) if body["threads"] else ""
    return Held(
        threads=len(body["threads"]), message_ids=frozenset(ids), counted=counted, status=latest, source="api"
    )


async def bounded(items: Iterable[T], make: Callable[[T], Awaitable[Any]], limit: int = 50) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with semaphore:
            return await make(item)

    return await asyncio.gather(*(one(i) for i in items))


async def wait_quiescent(
    temporal: Client,
    tenant: str,
    conversations: Sequence[str],
    received: list[Received],
    *,
    settle: float = 3.0,
    limit: float = 300.0,
) -> float:
    """Poll every conversation and the gateway until nothing changes over `settle` seconds and no
    activity is pending (a send in retry backoff writes no history until it completes); returns the
    seconds waited (about `limit` at most: the figures then show what had not arrived).

    A conversation's fingerprint is its latest run, that run's status and history length, from
    `describe`: anything the workflow does adds history events, and describing costs no replay.
    """

    async def fingerprint(conversation: str) -> tuple[str, int, int, int]:
        described = await temporal.get_workflow_handle(
            conversation_workflow_id(tenant, conversation)
        ).describe()
        pending = len(described.raw_description.pending_activities)
        return (described.run_id, int(described.status or 0), described.history_length, pending)

    started = time.monotonic()
    previous: tuple[int, list[tuple[str, int, int, int]]] | None = None
    while time.monotonic() - started < limit:
        now = (len(received), await bounded(conversations, fingerprint))
        if now == previous and not any(f[3] for f in now[1]):
            break
        previous = now
        await asyncio.sleep(settle)
    return time.monotonic() - started


@dataclass
class Figures:
    """Everything the table prints, summed over conversations."""

    conversations: int = 0
    closed_at_end: int = 0
    threads_expected: int = 0
    threads_seen: int = 0
    inbound_accepted: int = 0
    inbound_rejected: int = 0
    inbound_counted: int = 0
    inbound_lost: int = 0
    replies_accepted: int = 0
    replies_rejected: int = 0
    replies_lost: int = 0
    replies_duplicated: int = 0
    replies_sent_unaccepted: int = 0
    acks_expected: int = 0
    acks_received: int = 0
    acks_lost: int = 0
    acks_duplicated: int = 0
    acks_unexpected: int = 0
    gateway_requests: int = 0
    transport_retries: int = 0
    other_sends: int = 0
    unsigned: int = 0
    requests_given_up: int = 0
    client_retries: int = 0
    retry_reasons: Counter[str] = field(default_factory=Counter)
    status_changes_rejected: int = 0
    statuses: dict[str, dict[int | None, int]] = field(default_factory=lambda: defaultdict(dict))
    examples: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(
            self.inbound_lost
            or self.replies_lost
            or self.replies_duplicated
            or self.acks_lost
            or self.acks_duplicated
            or self.requests_given_up
        )

    def note(self, text: str) -> None:
        if len(self.examples) < 8:
            self.examples.append(text)


def is_ack(r: Received) -> bool:
    return r.kind == "auto_reply" and (r.template or "").startswith("acknowledgement")


def check_conversation(figures: Figures, outcomes: list[Outcome], held: Held, sends: list[Received]) -> None:
    """Add one conversation's findings to `figures`."""
    conversation = outcomes[0].step.conversation
    figures.conversations += 1
    figures.threads_seen += held.threads
    figures.closed_at_end += held.status == "closed"
    for o in outcomes:
        label = f"{o.step.kind}{'/new thread' if o.step.starts_thread and o.step.thread > 1 else ''}"
        by_status = figures.statuses[label]
        by_status[o.status] = by_status.get(o.status, 0) + 1
        figures.requests_given_up += o.status is None
        figures.client_retries += o.attempts - 1
        figures.retry_reasons.update(o.retry_reasons)
        figures.status_changes_rejected += o.step.kind == "status" and not o.accepted

    messages = [o for o in outcomes if o.step.kind == "message"]
    accepted_ids = {o.step.ident for o in messages if o.accepted}
    figures.inbound_accepted += len(accepted_ids)
    figures.inbound_rejected += sum(not o.accepted for o in messages)
    figures.inbound_counted += held.counted
    lost = accepted_ids - held.message_ids
    figures.inbound_lost += len(lost)
    if lost:
        figures.note(f"{conversation}: inbound {sorted(lost)} accepted but not held ({held.source})")

    replies = [o for o in outcomes if o.step.kind == "reply"]
    for o in replies:
        keys = {r.key for r in sends if r.kind == "agent_reply" and r.text == o.step.body["text"]}
        if not o.accepted:
            figures.replies_rejected += 1
            figures.replies_sent_unaccepted += bool(keys)
        elif not keys:
            figures.replies_accepted += 1
            figures.replies_lost += 1
            figures.note(
                f"{conversation}: reply {o.step.ident} (answered {o.status}) never reached the gateway"
            )
        else:
            figures.replies_accepted += 1
            figures.replies_duplicated += len(keys) - 1
            if len(keys) > 1:
                figures.note(f"{conversation}: reply {o.step.ident} sent under {len(keys)} keys")

    _check_acks(figures, conversation, [o for o in messages if o.step.starts_thread], sends)
    figures.other_sends += sum(not is_ack(r) and r.kind != "agent_reply" for r in sends)


def _check_acks(figures: Figures, conversation: str, starts: list[Outcome], sends: list[Received]) -> None:
    first_arrival: dict[str, float] = {}
    for r in sends:
        if is_ack(r):
            first_arrival.setdefault(r.key, r.at)
    windows = sorted(starts, key=lambda o: o.first_sent_at)
    per_thread = [0] * len(windows)
    for at in first_arrival.values():
        opened = [i for i, o in enumerate(windows) if o.first_sent_at <= at]
        if opened:
            per_thread[opened[-1]] += 1
        else:
            figures.acks_unexpected += 1
    figures.acks_received += len(first_arrival)
    for o, count in zip(windows, per_thread, strict=True):
        if not o.accepted:
            figures.acks_unexpected += count
            continue
        figures.threads_expected += 1
        figures.acks_expected += 1
        figures.acks_lost += count == 0
        figures.acks_duplicated += max(0, count - 1)
        if count != 1:
            figures.note(f"{conversation}: thread {o.step.thread} got {count} acknowledgements")


def add_transport(figures: Figures, received: list[Received]) -> None:
    figures.gateway_requests = len(received)
    figures.transport_retries = len(received) - len({r.key for r in received})
    figures.unsigned = sum(not r.signed for r in received)
