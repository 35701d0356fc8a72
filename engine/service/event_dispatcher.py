"""The worker's event dispatcher: delivers queued subscription events, retries, gives up, tells ops.

One background task per worker process (started and stopped with the worker). It claims due
deliveries from the database (engine/db/event_deliveries.py: the head of each subscription's
conversation line only, so order holds per conversation and a failing event blocks only its own
conversation), sends them concurrently (activities/event_sender.py) and records each attempt. Each
slot is refilled when its send ends, and one tenant holds some of the slots at most: a tenant whose
receiver hangs does not hold up another's events.
Several worker hosts share the queue: a claim is a lease in the row, decided by the database.

Retries: the pause doubles from CONVOFLOW_SUBSCRIPTION_RETRY_FIRST_SECONDS up to
..._RETRY_MAX_SECONDS, each drawn at random between half and all of it (jitter: receivers coming back
are not hit by every sender at once). An event still failing CONVOFLOW_SUBSCRIPTION_RETRY_HOURS after
it was queued (or redelivered) is given up; its subscription turns `failing`: a warning log line
(subscription id, tenant, event type and sequence, never the URL, which may hold a token, nor the
event), the convoflow_subscriptions_failing counter, and `state`/`failing_since` in GET
/v1/subscriptions/{id}. A later successful delivery makes it active again.

Why here and not a Temporal workflow per subscription: docs/ARCHITECTURE.md, Event subscriptions.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from activities.event_sender import EventSender, Outcome
from engine.db.event_deliveries import Claimed, EventDeliveries, Finished
from engine.db.subscriptions import ACTIVE, FAILING, Subscriptions
from engine.service import metrics
from engine.service.config import Settings

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=1)
LEASE_MARGIN = timedelta(seconds=30)


def now_utc() -> datetime:
    return datetime.now(UTC)


class EventDispatcher:
    def __init__(
        self,
        deliveries: EventDeliveries,
        subscriptions: Subscriptions,
        sender: EventSender,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self._deliveries = deliveries
        self._subscriptions = subscriptions
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._wake = asyncio.Event()
        self._lease = timedelta(seconds=settings.subscription_timeout_seconds) + LEASE_MARGIN
        self._window = timedelta(hours=settings.subscription_retry_hours)
        self._purged_at: datetime | None = None
        self._stopping = False

    def stop(self) -> None:
        """Claim nothing more; `run` returns once the sends under way have ended and are recorded. A
        worker stopped for a deploy cancelled them, and another worker sent the same events again when
        their leases ran out, 40 s later, holding back those conversations' next events (helper-123)."""
        self._stopping = True
        self._wake.set()

    @property
    def drain_seconds(self) -> float:
        """How long the sends under way may take to end after `stop`: a send's timeout, and the
        recording of the batch after it."""
        return self._settings.subscription_timeout_seconds + 5

    def nudge(self) -> None:
        """New events were queued by this process: look now rather than at the next poll."""
        self._wake.set()

    def pause_after(self, attempt: int) -> timedelta:
        """The pause before the attempt after `attempt` (1 = the first try failed), with jitter."""
        s = self._settings
        full = min(s.subscription_retry_first_seconds * 2 ** (attempt - 1), s.subscription_retry_max_seconds)
        return timedelta(seconds=random.uniform(full / 2, full))

    async def run(self) -> None:
        """Deliver until cancelled; a database outage is logged (by type) and waited out.

        A slot is refilled as soon as its send ends, not when a whole batch has: a tenant's receiver
        that hangs until the timeout then holds that tenant's sends only (at most
        CONVOFLOW_SUBSCRIPTION_CONCURRENCY_PER_TENANT of them), while every other tenant's events go
        on through the other slots.
        """
        sending: dict[asyncio.Task[Finished], str] = {}  # each send and its tenant
        woken: asyncio.Task[bool] | None = None
        try:
            while not (self._stopping and not sending):
                self._wake.clear()
                room = 0 if self._stopping else self._settings.subscription_concurrency - len(sending)
                claimed = await self._claim(room, Counter(sending.values())) if room > 0 else []
                for one in claimed:
                    sending[asyncio.create_task(self._deliver(one))] = one.subscription.tenant
                woken = asyncio.create_task(self._wake.wait())
                done, _ = await asyncio.wait(
                    {*sending, woken},
                    timeout=self._settings.subscription_poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                woken.cancel()
                ended = [task for task in sending if task in done]
                for task in ended:
                    del sending[task]
                if ended:
                    await self._record([task.result() for task in ended])
        finally:  # cancelled: the sends in flight stop; their leases run out and they go again
            left: list[asyncio.Task[Any]] = [*sending, *([woken] if woken is not None else [])]
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

    async def _claim(self, room: int, busy: Counter[str]) -> list[Claimed]:
        try:
            claimed = await self._deliveries.claim(
                self._clock(),
                self._lease,
                room,
                per_tenant=self._settings.subscription_concurrency_per_tenant,
                busy=busy,
            )
        except Exception as exc:  # the database down: the next poll tries again
            log.warning("event dispatcher: could not claim deliveries (%s)", type(exc).__name__)
            return []
        try:  # apart: a failed purge must not drop what was just claimed (it would wait out its lease)
            await self._purge_now_and_then()
        except Exception as exc:
            log.warning("event dispatcher: could not purge old deliveries (%s)", type(exc).__name__)
        return claimed

    async def _deliver(self, claimed: Claimed) -> Finished:
        sub = claimed.subscription
        try:
            outcome = await self._sender.send(
                sub.url,
                claimed.body,
                event_id=claimed.event_id,
                secrets=sub.signing_secrets(self._clock()),
                allow_private=sub.allow_private and self._settings.allows_private_subscriptions(sub.tenant),
            )
        except Exception as exc:  # a fault of ours must not stop the dispatcher: tried again later
            log.warning("event dispatcher: a send failed (%s)", type(exc).__name__)
            outcome = Outcome(
                delivered=False, status_code=None, error=f"failed: {type(exc).__name__}", latency_ms=0
            )
        now = self._clock()
        next_retry: datetime | None = None
        # An event never tried waited behind its conversation's failing one: its hours start now
        # (they started when it was queued, so it was given up after a single try).
        starts = claimed.window_starts_at if claimed.attempts else now
        if not outcome.delivered:
            next_retry = now + self.pause_after(claimed.attempts + 1)
            if next_retry > starts + self._window:
                next_retry = None
        return Finished(
            claimed=claimed,
            at=now,
            delivered=outcome.delivered,
            status_code=outcome.status_code,
            error=outcome.error,
            latency_ms=outcome.latency_ms,
            next_retry_at=next_retry,
            window_starts_at=starts,
        )

    async def _record(self, done: list[Finished]) -> None:
        """The batch's attempts in one transaction, then the metrics and the subscriptions' state."""
        try:
            await self._deliveries.finish(done)
            for one in done:
                await self._account(
                    one.claimed, delivered=one.delivered, gave_up=one.next_retry_at is None, now=one.at
                )
        except Exception as exc:  # the leases run out and the events are sent again: at least once
            log.warning("event dispatcher: %d attempts not recorded (%s)", len(done), type(exc).__name__)

    async def _account(self, claimed: Claimed, *, delivered: bool, gave_up: bool, now: datetime) -> None:
        sub = claimed.subscription
        if delivered:
            metrics.EVENT_ATTEMPTS.labels(sub.tenant, "delivered").inc()
            occurred = datetime.fromisoformat(str(claimed.body["occurred_at"]))
            metrics.EVENT_DELIVERY_SECONDS.labels(sub.tenant).observe(
                max((now - occurred).total_seconds(), 0)
            )
            if sub.state == FAILING and await self._subscriptions.mark(sub.subscription_id, ACTIVE, now):
                log.info("subscription %s of tenant %s delivers again", sub.subscription_id, sub.tenant)
            return
        if not gave_up:
            metrics.EVENT_ATTEMPTS.labels(sub.tenant, "retry").inc()
            return
        metrics.EVENT_ATTEMPTS.labels(sub.tenant, "gave_up").inc()
        if await self._subscriptions.mark(sub.subscription_id, FAILING, now):
            metrics.SUBSCRIPTIONS_FAILING.labels(sub.tenant).inc()
        log.warning(
            "subscription %s of tenant %s is failing: %s seq %d given up after %d attempts in %.1f h; "
            "redeliver its conversation's with POST /v1/subscriptions/%s/redeliver?from_sequence=%d"
            "&conversation_id= (which conversation: GET its deliveries)",
            sub.subscription_id,
            sub.tenant,
            claimed.type,
            claimed.sequence,
            claimed.attempts + 1,
            self._window.total_seconds() / 3600,
            sub.subscription_id,
            claimed.sequence,
        )

    async def _purge_now_and_then(self) -> None:
        now = self._clock()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        await self._deliveries.purge(now - timedelta(days=self._settings.subscription_retention_days))
