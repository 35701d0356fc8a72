"""Each tenant's agents in the control-plane database (table agents): who takes what, and who is there.

The roster is written by the API and the CLI and read by the tenant's assignment desk (through the
`load_roster` activity), so what the desk decided on is what this table held when it read it.
Presence has two writers: people (`set`, through the API or CLI) and silence (`heartbeat timeout`,
when an online agent's client stops sending heartbeats). Every presence write is one conditional
UPDATE, so a heartbeat racing the timeout cannot be lost: whichever the database runs second sees
the other's row. Every query filters on the tenant: one tenant never reads or writes another's agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.contracts.assignment import AgentRecord, Presence
from engine.db.inserts import insert_new
from engine.db.schema import agents

# Built once (the statement keeps its cache key): the desk activity lists a tenant's agents for
# every conversation it routes.
BY_TENANT = select(agents).where(agents.c.tenant == bindparam("tenant")).order_by(agents.c.agent_id)

SET = "set"
"""Presence reason: a person (or the agent's client) set it through the API or CLI."""
HEARTBEAT_TIMEOUT = "heartbeat timeout"
"""Presence reason: the agent was online and its client went silent past the timeout."""


@dataclass(frozen=True, kw_only=True)
class StoredAgent:
    """An agent as the API shows it: the record the desk decides on, and the row's bookkeeping."""

    record: AgentRecord
    presence_reason: str
    """`set` or `heartbeat timeout`: why the presence is what it is."""
    created_at: datetime
    updated_at: datetime


def _utc(when: datetime | None) -> datetime:
    """A bound instant in UTC: SQLite compares timestamps as text, so every one must be in one zone."""
    return datetime.now(UTC) if when is None else when.astimezone(UTC)


def _stored(row: Row[Any]) -> StoredAgent:
    record = AgentRecord(
        agent_id=row.agent_id,
        name=row.name,
        teams=row.teams,
        skills=row.skills,
        channels=row.channels,
        capacity=row.capacity,
        presence=row.presence,
        presence_changed_at=row.presence_changed_at,
        last_heartbeat_at=row.last_heartbeat_at,
    )
    return StoredAgent(
        record=record,
        presence_reason=row.presence_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class RosterStore:
    """A tenant's agents over an AsyncEngine (the process's pooled control-plane engine)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def put(
        self, tenant: str, agent: AgentRecord, now: datetime | None = None
    ) -> tuple[StoredAgent, bool]:
        """Create the agent, or replace its definition (name, teams, skills, channels, capacity).

        Replacing keeps its presence and heartbeat: editing an agent's skills does not log them out.
        A new agent starts with the record's presence (offline unless given). True when created.
        """
        at = _utc(now)
        definition = {
            "name": agent.name,
            "teams": list(agent.teams),
            "skills": list(agent.skills),
            "channels": list(agent.channels),
            "capacity": dict(agent.capacity),
        }
        async with self._engine.begin() as db:
            created = await insert_new(
                db,
                agents,
                {
                    "tenant": tenant,
                    "agent_id": agent.agent_id,
                    **definition,
                    "presence": agent.presence,
                    "presence_reason": SET,
                    "presence_changed_at": at,
                    "last_heartbeat_at": at if agent.presence == "online" else None,
                    "created_at": at,
                    "updated_at": at,
                },
            )
            if not created:
                await db.execute(
                    self._where(update(agents), tenant, agent.agent_id).values(**definition, updated_at=at)
                )
            stored = await self._read(db, tenant, agent.agent_id)
        assert stored is not None  # written in this transaction
        return stored, created

    async def get(self, tenant: str, agent_id: str) -> StoredAgent | None:
        async with self._engine.connect() as db:
            return await self._read(db, tenant, agent_id)

    async def may_act(self, tenant: str, agent_id: str) -> bool:
        """Whether `agent_id` may act for `tenant`: one of its roster's agents, or any id for a tenant
        without a roster (its agents live in the integrator's own system)."""
        async with self._engine.connect() as db:
            if await self._read(db, tenant, agent_id) is not None:
                return True
            anyone = select(agents.c.agent_id).where(agents.c.tenant == tenant).limit(1)
            return (await db.execute(anyone)).first() is None

    async def list(self, tenant: str) -> list[StoredAgent]:
        """The tenant's agents by id."""
        async with self._engine.connect() as db:
            return [_stored(row) for row in await db.execute(BY_TENANT, {"tenant": tenant})]

    async def remove(self, tenant: str, agent_id: str) -> bool:
        """Delete the agent; False when the tenant has no such agent."""
        async with self._engine.begin() as db:
            removed = await db.execute(self._where(delete(agents), tenant, agent_id))
            return removed.rowcount == 1

    async def set_presence(
        self, tenant: str, agent_id: str, presence: Presence, now: datetime | None = None
    ) -> tuple[StoredAgent | None, bool]:
        """Set the agent's presence (reason `set`); online also counts as a heartbeat.

        Returns the agent as it is now (None: no such agent) and whether the presence changed.
        """
        at = _utc(now)
        heartbeat = {"last_heartbeat_at": at} if presence == "online" else {}
        async with self._engine.begin() as db:
            changed = await db.execute(
                self._where(update(agents), tenant, agent_id)
                .where(agents.c.presence != presence)
                .values(
                    presence=presence, presence_reason=SET, presence_changed_at=at, updated_at=at, **heartbeat
                )
            )
            if changed.rowcount == 0:
                await db.execute(
                    self._where(update(agents), tenant, agent_id).values(presence_reason=SET, **heartbeat)
                )
            return await self._read(db, tenant, agent_id), changed.rowcount == 1

    async def heartbeat(
        self, tenant: str, agent_id: str, now: datetime | None = None
    ) -> tuple[StoredAgent | None, bool]:
        """The agent's client is alive: refresh `last_heartbeat_at`.

        An agent the timeout dropped to away comes back online; one a person set away or offline
        stays so (a heartbeat does not overrule a person). Returns the agent (None: no such agent)
        and whether its presence changed.
        """
        at = _utc(now)
        async with self._engine.begin() as db:
            revived = await db.execute(
                self._where(update(agents), tenant, agent_id)
                .where(agents.c.presence == "away", agents.c.presence_reason == HEARTBEAT_TIMEOUT)
                .values(
                    presence="online",
                    presence_reason=SET,
                    presence_changed_at=at,
                    last_heartbeat_at=at,
                    updated_at=at,
                )
            )
            if revived.rowcount == 0:
                await db.execute(self._where(update(agents), tenant, agent_id).values(last_heartbeat_at=at))
            return await self._read(db, tenant, agent_id), revived.rowcount == 1

    async def expire(
        self, tenant: str, agent_id: str, cutoff: datetime, now: datetime | None = None
    ) -> AgentRecord | None:
        """Drop the agent to away (`heartbeat timeout`) if it is online with no heartbeat since `cutoff`.

        One conditional UPDATE: a heartbeat that arrived after the caller looked wins. Returns the
        agent as it is afterwards, dropped or not (None: no such agent).
        """
        at = _utc(now)
        async with self._engine.begin() as db:
            await db.execute(
                self._where(update(agents), tenant, agent_id)
                .where(agents.c.presence == "online", agents.c.last_heartbeat_at < _utc(cutoff))
                .values(
                    presence="away", presence_reason=HEARTBEAT_TIMEOUT, presence_changed_at=at, updated_at=at
                )
            )
            stored = await self._read(db, tenant, agent_id)
        return None if stored is None else stored.record

    @staticmethod
    def _where(statement: Any, tenant: str, agent_id: str) -> Any:
        return statement.where(agents.c.tenant == tenant, agents.c.agent_id == agent_id)

    @classmethod
    async def _read(cls, db: AsyncConnection, tenant: str, agent_id: str) -> StoredAgent | None:
        row = (await db.execute(cls._where(select(agents), tenant, agent_id))).first()
        return None if row is None else _stored(row)
