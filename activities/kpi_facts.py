"""The KPI projection's writer: the workflow's facts of one handled event, inserted or ignored.

Concurrent conversations' facts are written together, one transaction for all of them
(engine/db/group_commit.py).
"""

from __future__ import annotations

from temporalio import activity

from engine.contracts.activities import RECORD_KPI_FACTS, KpiFacts
from engine.contracts.kpi import KpiFactBatch
from engine.db.group_commit import GroupCommit
from engine.db.kpi_facts import KpiFactStore


class KpiFactActivities(KpiFacts):
    def __init__(self, store: KpiFactStore) -> None:
        self._writes = GroupCommit(store.add_many)

    @activity.defn(name=RECORD_KPI_FACTS)
    async def record_kpi_facts(self, batch: KpiFactBatch) -> int:
        return await self._writes.write(batch.facts)
