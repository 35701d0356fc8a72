"""The roster as the assignment desk reads it: the tenant's agents from the control-plane database.

The desk never reads the database itself (workflows are deterministic); it calls these activities
when the API or CLI signals that the roster changed, and when an online agent's heartbeat is overdue,
so every roster it decided on is recorded in its history.
"""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity

from engine.contracts.activities import EXPIRE_PRESENCE, LOAD_ROSTER, RosterReads
from engine.contracts.assignment import AgentRecord, PresenceExpiry, Roster
from engine.db.roster import RosterStore


class RosterActivities(RosterReads):
    def __init__(self, store: RosterStore, heartbeat_timeout_seconds: float) -> None:
        self._store = store
        self._timeout = heartbeat_timeout_seconds

    @activity.defn(name=LOAD_ROSTER)
    async def load_roster(self, tenant: str) -> Roster:
        read_at = datetime.now(UTC)
        agents = [stored.record for stored in await self._store.list(tenant)]
        return Roster(agents=agents, heartbeat_timeout_seconds=self._timeout, read_at=read_at)

    @activity.defn(name=EXPIRE_PRESENCE)
    async def expire_presence(self, expiry: PresenceExpiry) -> AgentRecord | None:
        return await self._store.expire(expiry.tenant, expiry.agent_id, expiry.cutoff)
