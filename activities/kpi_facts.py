"""The KPI projection's writer: the workflow's facts of one handled event, inserted or ignored."""

from __future__ import annotations

from temporalio import activity

from engine.contracts.activities import RECORD_KPI_FACTS, KpiFacts
from engine.contracts.kpi import KpiFactBatch
from engine.db.kpi_facts import KpiFactStore


class KpiFactActivities(KpiFacts):
    def __init__(self, store: KpiFactStore) -> None:
        self._store = store

    @activity.defn(name=RECORD_KPI_FACTS)
    async def record_kpi_facts(self, batch: KpiFactBatch) -> int:
        return await self._store.add(batch.facts)
