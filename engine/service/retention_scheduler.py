"""The worker's retention sweeps: each tenant's closed conversations deleted once past its keep time.

A tenant that sets `retention_days` (engine/db/retention_sweeps.py) has its sweeps run by the
workers, with nothing for an operator to schedule: every CONVOFLOW_RETENTION_CHECK_SECONDS a worker
claims the tenants due (one worker of several wins each claim, in the database) and runs
engine/service/retention.py's sweep for each, one tenant at a time. The next is due
CONVOFLOW_RETENTION_SWEEP_MINUTES later, at once when a sweep reached its limit, and the result (counts,
the erasure's id, or why it failed) is kept for `GET /v1/tenant/settings`. Log lines and metrics
carry the tenant and counts only: never a conversation id, an address or any text.

Why not a Temporal schedule: the sweep asks Temporal to delete workflow runs and the database to delete
rows, service work that activities may not import (the layers in pyproject.toml), and a lease in the
database already decides who sends each subscription event among several workers
(engine/service/event_dispatcher.py); the same serves here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.service import RPCError

from engine.db.retention_sweeps import Claim, claim, due, finish, renew
from engine.service import metrics, retention
from engine.service.config import Settings
from engine.service.payload_keys import KeyringError

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=30)
"""A sweep's claim: past it, another worker may sweep the tenant (this one stopped mid-sweep)."""
RETRY_AFTER = timedelta(minutes=5)
"""After a failed sweep (Temporal or the database down), the next try."""


def now_utc() -> datetime:
    return datetime.now(UTC)


class RetentionScheduler:
    """Runs the due tenants' sweeps, in the background while the worker runs."""

    def __init__(
        self,
        client: Client,
        database: AsyncEngine,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = now_utc,
        limit: int = retention.SWEEP_LIMIT,
    ) -> None:
        self._client = client
        self._database = database
        self._settings = settings
        self._clock = clock
        self._limit = limit

    async def run(self) -> None:
        while True:
            try:
                await self.sweep_due()
            except Exception as exc:
                # The type only: a database's or Temporal's message can name a conversation. A claim
                # this left unfinished lapses after LEASE.
                log.warning("retention: the sweeps stopped this round (%s)", type(exc).__name__)
            await asyncio.sleep(self._settings.retention_check_seconds)

    async def sweep_due(self) -> list[str]:
        """Sweep every tenant due now that no other worker claimed first; returns those swept."""
        swept = []
        for tenant in await due(self._database, self._clock()):
            claimed = await claim(self._database, tenant, self._clock(), LEASE)
            if claimed is not None:
                await self._sweep(claimed)
                swept.append(tenant)
        return swept

    async def _sweep(self, claimed: Claim) -> None:
        tenant = claimed.tenant
        result: dict[str, Any]
        try:
            outcome = await retention.sweep(
                self._client,
                self._database,
                self._settings,
                tenant,
                claimed.keep_days,
                limit=self._limit,
                now=claimed.began_at,
                keep_days_now=lambda: renew(self._database, claimed, self._clock(), LEASE),
            )
        except (RPCError, TimeoutError, RuntimeError, KeyringError, SQLAlchemyError, OSError) as exc:
            # The type only: Temporal's and the database's messages can name a conversation.
            result = {"error": f"{type(exc).__name__}: the sweep stopped; tried again later"}
            metrics.RETENTION_FAILURES.labels(tenant).inc()
            log.warning(
                "retention: tenant %s: sweep failed (%s), tried again later", tenant, type(exc).__name__
            )
            next_at = self._clock() + RETRY_AFTER
        else:
            deleted = len(outcome.record["conversations"]) if outcome.record else 0
            result = {
                **({"error": outcome.stopped} if outcome.stopped else {}),
                "cutoff": outcome.cutoff.isoformat(),
                "deleted": deleted,
                "refused": len(outcome.refused),
                "erasure_id": outcome.record["erasure_id"] if outcome.record else None,
                "limit_reached": deleted >= self._limit,
            }
            metrics.RETENTION_DELETED.labels(tenant).inc(deleted)
            if deleted or outcome.refused:
                log.info(
                    "retention: tenant %s: %d closed conversation(s) deleted, %d refused to end",
                    tenant,
                    deleted,
                    len(outcome.refused),
                )
            later = timedelta(minutes=self._settings.retention_sweep_minutes)
            next_at = self._clock() + (timedelta(0) if result["limit_reached"] else later)
        await finish(self._database, claimed, result, ended_at=self._clock(), next_at=next_at)
