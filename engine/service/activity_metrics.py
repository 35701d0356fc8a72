"""The worker's metrics, read off the activities it runs (an activity interceptor).

Why an interceptor and not counters in the workflow: workflow code replays, so a counter there
would count an event again at every replay (and the sandbox keeps it out of reach anyway);
activities run once per attempt, and local activities are not run again on replay (their results
come from history). Everything the ops view needs passes through one: every event is decided by
the `decide` local activity (its request names the event, its result the actions), SLA warnings
and breaches are events, and every outbound message goes through `deliver_message`.

Counts are of attempts the worker made: a decision repeated after a worker crash (before the
workflow task completed) counts twice, which is what "the worker did this" means.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from activities.delivery_ledger import ClaimHeld, LedgerUnavailable
from engine.contracts.activities import DECIDE, DELIVER_MESSAGE
from engine.contracts.decisions import DecideRequest, DecideResult
from engine.contracts.outbound import DeliveryResult, OutboundMessage
from engine.rules.actions import ACTIONS
from engine.service import metrics

# Adapters that POST signed webhooks (activities/webhook_gateway.py, activities/channels.py).
WEBHOOK_ADAPTERS = frozenset({"gateway", "webhook"})
# The workflow ids that carry a tenant: `conversation:{tenant}:{id}` and `assignment-desk:{tenant}`.
TENANT_PREFIXES = frozenset({"conversation", "assignment-desk"})

log = logging.getLogger(__name__)

AdapterOf = Callable[[OutboundMessage], str]
"""The name of the adapter a message goes through (the channels' own choice, no I/O)."""


def tenant_of(workflow_id: str | None) -> str:
    """The tenant a workflow belongs to, from its id; "" for an id of another shape."""
    parts = (workflow_id or "").split(":", 2)
    return parts[1] if len(parts) >= 2 and parts[0] in TENANT_PREFIXES else ""


class MetricsInterceptor(Interceptor):
    """Records decisions, actions, SLA events, deliveries, failures and retries of every activity."""

    def __init__(self, adapter_of: AdapterOf) -> None:
        self._adapter_of = adapter_of

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Measured(next, self._adapter_of)


class _Measured(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, adapter_of: AdapterOf) -> None:
        super().__init__(next)
        self._adapter_of = adapter_of

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        name = info.activity_type
        tenant = tenant_of(info.workflow_id)
        if info.attempt > 1:
            metrics.ACTIVITY_RETRIES.labels(name).inc()
        started = time.perf_counter()
        try:
            result = await super().execute_activity(input)
        except BaseException as exc:
            metrics.ACTIVITY_FAILURES.labels(name, type(exc).__name__).inc()
            if name == DELIVER_MESSAGE and channel_failed(exc) and input.args:
                if isinstance(input.args[0], OutboundMessage):
                    self._delivery_failed(tenant, input.args[0])
            reported = recovering(exc) or exc
            if (
                isinstance(reported, ApplicationError)
                and reported.category == ApplicationErrorCategory.BENIGN
            ):
                # The SDK logs BENIGN failures at DEBUG (activities/http_outcome.py): one line here, its
                # type, no text; the run id, not the conversation id, which may be a phone number.
                run = info.workflow_run_id
                log.warning("%s attempt %d of run %s failed: %s", name, info.attempt, run, reported.type)
            if reported is not exc:
                raise reported from None
            raise
        if name == DECIDE and isinstance(result, DecideResult):
            request = input.args[0] if input.args else None
            _decided(tenant, result, request, time.perf_counter() - started)
        elif name == DELIVER_MESSAGE and isinstance(result, DeliveryResult) and input.args:
            _delivered(tenant, input.args[0], result)
        return result

    def _delivery_failed(self, tenant: str, message: OutboundMessage) -> None:
        metrics.DELIVERY_FAILURES.labels(tenant, message.channel, message.kind).inc()
        adapter = self._adapter_of(message)
        if adapter in WEBHOOK_ADAPTERS:
            metrics.WEBHOOK_DELIVERIES.labels(tenant, adapter, "failed").inc()


def recovering(exc: BaseException) -> ApplicationError | None:
    """The failure to report instead of `exc` when it is expected while the control-plane database
    restarts or another attempt holds a send (retried, nothing lost): BENIGN, so the SDK does not log
    every attempt with its traceback at WARNING (a 15 s database restart wrote 9,212 lines from two
    workers). Its text is fixed: a database error's own quotes the SQL and its parameters."""
    if isinstance(exc, asyncio.CancelledError) and _timed_out():
        # A local attempt's few seconds ran out (a slow gateway or CRM): the workflow goes on with a
        # normal activity, and the send itself finishes in the background (channels.py). The SDK
        # logged it at WARNING with the cancellation's traceback, as if something had broken.
        kind = "AttemptTimedOut"
        return ApplicationError(
            "the attempt ran out of its time", type=kind, category=ApplicationErrorCategory.BENIGN
        )
    if isinstance(exc, ClaimHeld):
        why = "another attempt holds this send's claim"
    elif isinstance(exc, LedgerUnavailable | SQLAlchemyError):
        why = "the control-plane database did not answer"
    else:
        return None
    kind = type(exc).__name__
    return ApplicationError(f"{why} ({kind})", type=kind, category=ApplicationErrorCategory.BENIGN)


def _timed_out() -> bool:
    details = activity.cancellation_details()
    return details is not None and details.timed_out


def channel_failed(exc: BaseException) -> bool:
    """Whether a failed delivery attempt is the channel's failure (a delivery failure to alert on), not
    the ledger's database being down or another attempt holding the send (a worker died)."""
    return not isinstance(exc, ClaimHeld | LedgerUnavailable)


def _decided(tenant: str, result: DecideResult, request: object, seconds: float) -> None:
    event = str(result.decision.get("event", ""))
    metrics.DECISIONS.labels(tenant, event).inc()
    metrics.DECISION_SECONDS.labels(tenant).observe(seconds)
    for row in result.decision.get("actions") or []:
        described = row.get("action") if isinstance(row, dict) else None  # {"type": kind, ...}
        kind = described.get("type") if isinstance(described, dict) else None
        metrics.ACTIONS.labels(tenant, kind if kind in ACTIONS else "unknown").inc()
    if event in ("sla.warning", "sla.breached"):
        target = ""
        if isinstance(request, DecideRequest):
            target = str((request.context.get("event") or {}).get("sla_target") or "")
        counter = metrics.SLA_WARNINGS if event == "sla.warning" else metrics.SLA_BREACHES
        counter.labels(tenant, target).inc()


def _delivered(tenant: str, message: object, result: DeliveryResult) -> None:
    if not isinstance(message, OutboundMessage):
        return
    if result.delivered:
        metrics.MESSAGES_OUT.labels(tenant, message.channel, message.kind).inc()
    if result.adapter in WEBHOOK_ADAPTERS:
        outcome = "delivered" if result.delivered else "duplicate"
        metrics.WEBHOOK_DELIVERIES.labels(tenant, result.adapter, outcome).inc()
