"""Shadow mode in the worker: every live decision of a tenant with a shadow pack is decided again
with the candidate, in the background, and the comparison recorded (never executed).

Best-effort and in-process on purpose (docs/ARCHITECTURE.md, Shadow mode): the `decide` activity
hands the decision over with a `put_nowait` on a bounded queue and returns; a full queue drops the
sample and counts it (convoflow_shadow_dropped). One background task per worker process takes
batches off the queue, decides each with the candidate (compiled once per hash by the worker's
PackRegistry, in a thread like the live decision), and writes the batch in one insert. Anything
that goes wrong there (the candidate unreadable, the database down) is counted
(convoflow_shadow_failures) and logged by error type only: no context value, no text, no address.
Nothing of this is in the workflow or its history, so recorded histories replay unchanged.

Business time: the candidate fills it with its own calendar of the name the live conversation
uses; when the candidate has no calendar of that name, the live pack's fill stands (the calendar
a conversation uses is chosen by its live pack's team and SLA policy).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from activities.rule_decisions import LiveDecision, LoadedPack, PackRegistry, fill, triaged
from engine.contracts.decisions import seen_context
from engine.db.shadow import Comparison, ShadowStore
from engine.rules.shadow_report import compare
from engine.rules.triage import context_fields
from engine.service import metrics

QUEUE_SIZE = 2_000
"""Decisions waiting to be compared; past this a decision is dropped (and counted), never waited on."""
BATCH = 100
"""Comparisons written per insert."""
CACHE_SECONDS = 5.0
"""How long a tenant's shadow hash (or its absence) is trusted: a shadow published or stopped
elsewhere reaches this worker within this time."""
LOG_EVERY_SECONDS = 60.0
"""One log line per tenant and error type per this many seconds; the counter counts every one."""

log = logging.getLogger(__name__)


class ShadowEvaluator:
    """The worker's shadow evaluator: `decided` queues, a background task compares and records."""

    def __init__(
        self,
        registry: PackRegistry,
        store: ShadowStore,
        *,
        queue_size: int = QUEUE_SIZE,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._store = store
        self._queue: asyncio.Queue[LiveDecision] = asyncio.Queue(maxsize=queue_size)
        self._ttl = ttl
        self._clock = clock
        self._hashes: dict[str, tuple[float, str | None]] = {}
        self._logged: dict[tuple[str, str], float] = {}
        self._task: asyncio.Task[None] | None = None

    def wants(self, tenant: str) -> bool:
        """False only while the tenant is known to have no shadow pack (the common case: no copy)."""
        cached = self._hashes.get(tenant)
        return cached is None or cached[0] <= self._clock() or cached[1] is not None

    def decided(self, live: LiveDecision) -> None:
        """Queue `live` for comparison, or drop and count it when the queue is full. Never blocks."""
        try:
            self._queue.put_nowait(live)
        except asyncio.QueueFull:
            metrics.SHADOW_DROPPED.labels(live.tenant).inc()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="shadow-evaluator")

    async def idle(self) -> None:
        """Until every queued decision is compared and recorded (the benchmark waits on it)."""
        await self._queue.join()

    async def close(self) -> None:
        """Stop the background task; what is still queued is not compared (a few samples)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._evaluate(batch)
            except Exception as exc:  # a bug here must not stop the task: count it, carry on
                for live in batch:
                    self._failed(live.tenant, exc)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _evaluate(self, batch: list[LiveDecision]) -> None:
        ready: list[tuple[LiveDecision, LoadedPack]] = []
        for live in batch:
            try:
                digest = await self._shadow_hash(live.tenant)
                if digest is None or digest == live.request.pack_hash:
                    continue  # no candidate, or the conversation already runs it: nothing to learn
                ready.append((live, await self._registry.get(digest)))
            except Exception as exc:
                self._failed(live.tenant, exc)
        if not ready:
            return
        outcomes = await asyncio.to_thread(_compare_all, ready, datetime.now(UTC))
        rows: list[Comparison] = []
        for (live, _), outcome in zip(ready, outcomes, strict=True):
            if isinstance(outcome, Exception):
                self._failed(live.tenant, outcome)
            else:
                rows.append(outcome)
        try:
            await self._store.record(rows)
        except Exception as exc:
            for row in rows:
                self._failed(row.tenant, exc)
            return
        for row in rows:
            metrics.SHADOW_COMPARISONS.labels(row.tenant, str(row.differs).lower()).inc()
            if row.shadow_errors:
                metrics.SHADOW_RULE_ERRORS.labels(row.tenant).inc(len(row.shadow_errors))

    async def _shadow_hash(self, tenant: str) -> str | None:
        now = self._clock()
        cached = self._hashes.get(tenant)
        if cached is not None and cached[0] > now:
            return cached[1]
        digest = await self._store.hash_for(tenant)
        self._hashes[tenant] = (now + self._ttl, digest)
        return digest

    def _failed(self, tenant: str, exc: BaseException) -> None:
        error = type(exc).__name__
        metrics.SHADOW_FAILURES.labels(tenant, error).inc()
        now = self._clock()
        if self._logged.get((tenant, error), -LOG_EVERY_SECONDS) + LOG_EVERY_SECONDS <= now:
            self._logged[(tenant, error)] = now
            # The type only: an exception's text may quote the context (a customer's words).
            log.warning(
                "shadow evaluation failed for tenant %s (%s); live decisions are not affected", tenant, error
            )


def _compare_all(ready: list[tuple[LiveDecision, LoadedPack]], at: datetime) -> list[Comparison | Exception]:
    """Each decision again with its candidate (in a thread: deciding is CPU); a failure is its outcome."""
    outcomes: list[Comparison | Exception] = []
    for live, candidate in ready:
        try:
            outcomes.append(_compare(live, candidate, at))
        except Exception as exc:
            outcomes.append(exc)
        time.sleep(0)  # hand the GIL over between comparisons: a live decision waiting takes it now
    return outcomes


def _compare(live: LiveDecision, candidate: LoadedPack, at: datetime) -> Comparison:
    request = live.request
    own = request.calendar is None or request.calendar in candidate.calendars
    filled = dict(fill(candidate, request) if own else live.filled)
    # The candidate classifies with its own intents and languages, as it would live.
    triage = triaged(candidate, request)
    if triage is not None:
        filled["message"] = context_fields(triage)
    shadow = candidate.compiled.decide(seen_context(request.context, filled)).model_dump(mode="json")
    diff = compare(live.decision, shadow)
    event = request.context["event"]
    return Comparison(
        tenant=live.tenant,
        conversation_id=live.conversation_id,
        run_id=live.run_id,
        decision=live.decision_id,
        shadow_hash=candidate.compiled.hash,
        live_hash=request.pack_hash,
        event_type=str(event["type"]),
        event_at=datetime.fromisoformat(event["time"]),
        event_depth=int(event.get("depth") or 0),
        live_actions=diff.live_actions,
        shadow_actions=diff.shadow_actions,
        live_matched=diff.live_matched,
        shadow_matched=diff.shadow_matched,
        shadow_errors=diff.shadow_errors,
        differs=diff.differs,
        at=at,
    )
