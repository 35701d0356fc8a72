"""The roster in the control-plane database, on SQLite and PostgreSQL: agents per tenant, presence set
by people and dropped by silence, and the desk's activities over it. Time is moved through the store
(`now=`, `cutoff=`), never waited for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from activities.roster import RosterActivities
from engine.contracts.assignment import AgentRecord, PresenceExpiry
from engine.db.roster import HEARTBEAT_TIMEOUT, SET, RosterStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def agent(agent_id: str = "ada", **changes: object) -> AgentRecord:
    fields: dict[str, object] = {
        "agent_id": agent_id,
        "name": "Ada",
        "teams": ["billing"],
        "skills": ["lang:de"],
        "channels": ["email", "chat"],
        "capacity": {"email": 5, "chat": 2},
    }
    return AgentRecord.model_validate(fields | changes)


async def test_put_creates_then_replaces_the_definition_and_keeps_presence(database: AsyncEngine) -> None:
    store = RosterStore(database)
    stored, created = await store.put("acme", agent(), now=T0)
    assert created and stored.record.presence == "offline" and stored.presence_reason == SET
    assert stored.record.capacity == {"email": 5, "chat": 2} and stored.created_at == T0
    await store.set_presence("acme", "ada", "online", now=T0 + timedelta(minutes=1))

    later = T0 + timedelta(minutes=2)
    replaced, created = await store.put("acme", agent(name="Ada L.", skills=[], capacity={"*": 3}), now=later)
    assert not created
    assert replaced.record.name == "Ada L." and replaced.record.skills == []
    assert replaced.record.capacity == {"*": 3} and replaced.record.capacity_for("sms") == 3
    assert replaced.record.presence == "online", "editing an agent does not log it out"
    assert replaced.created_at == T0 and replaced.updated_at == later
    assert await store.get("acme", "ada") == replaced


async def test_tenants_never_see_or_change_each_others_agents(database: AsyncEngine) -> None:
    store = RosterStore(database)
    await store.put("acme", agent("ada"))
    await store.put("acme", agent("bob"))
    await store.put("globex", agent("ada", name="Other Ada"))

    assert [a.record.agent_id for a in await store.list("acme")] == ["ada", "bob"]
    assert [a.record.name for a in await store.list("globex")] == ["Other Ada"]
    assert await store.get("globex", "bob") is None
    assert await store.set_presence("globex", "bob", "online") == (None, False)
    assert await store.heartbeat("globex", "bob") == (None, False)
    assert not await store.remove("globex", "bob")
    assert await store.remove("acme", "ada")
    assert await store.get("acme", "ada") is None
    assert (await store.get("globex", "ada")) is not None
    assert await store.list("initech") == []


async def test_presence_changes_are_reported_and_online_counts_as_a_heartbeat(database: AsyncEngine) -> None:
    store = RosterStore(database)
    await store.put("acme", agent(), now=T0)
    online, changed = await store.set_presence("acme", "ada", "online", now=T0 + timedelta(seconds=10))
    assert changed and online is not None
    assert online.record.presence_changed_at == T0 + timedelta(seconds=10)
    assert online.record.last_heartbeat_at == T0 + timedelta(seconds=10)

    again, changed = await store.set_presence("acme", "ada", "online", now=T0 + timedelta(seconds=20))
    assert not changed and again is not None
    assert again.record.presence_changed_at == T0 + timedelta(seconds=10), "unchanged presence, same time"
    assert again.record.last_heartbeat_at == T0 + timedelta(seconds=20)

    away, changed = await store.set_presence("acme", "ada", "away", now=T0 + timedelta(seconds=30))
    assert changed and away is not None and away.record.presence == "away"
    assert away.record.last_heartbeat_at == T0 + timedelta(seconds=20), "away is no sign of life"
    assert await store.set_presence("acme", "nobody", "online") == (None, False)


async def test_expire_drops_only_a_silent_online_agent_and_a_heartbeat_brings_it_back(
    database: AsyncEngine,
) -> None:
    store = RosterStore(database)
    await store.put("acme", agent(), now=T0)
    await store.set_presence("acme", "ada", "online", now=T0)
    await store.heartbeat("acme", "ada", now=T0 + timedelta(minutes=1))

    # A heartbeat newer than the cutoff wins: the desk looked before it arrived.
    kept = await store.expire("acme", "ada", cutoff=T0 + timedelta(seconds=59), now=T0 + timedelta(minutes=3))
    assert kept is not None and kept.presence == "online"

    dropped = await store.expire(
        "acme", "ada", cutoff=T0 + timedelta(minutes=2), now=T0 + timedelta(minutes=3)
    )
    assert dropped is not None and dropped.presence == "away"
    assert dropped.presence_changed_at == T0 + timedelta(minutes=3)
    stored = await store.get("acme", "ada")
    assert stored is not None and stored.presence_reason == HEARTBEAT_TIMEOUT

    # Already away: nothing to do, the row comes back as it is.
    again = await store.expire("acme", "ada", cutoff=T0 + timedelta(hours=1), now=T0 + timedelta(hours=1))
    assert again == dropped

    back, changed = await store.heartbeat("acme", "ada", now=T0 + timedelta(minutes=4))
    assert changed and back is not None
    assert back.record.presence == "online" and back.presence_reason == SET
    assert back.record.last_heartbeat_at == T0 + timedelta(minutes=4)
    assert await store.expire("acme", "nobody", cutoff=T0) is None


async def test_a_heartbeat_does_not_overrule_a_person_who_set_away_or_offline(database: AsyncEngine) -> None:
    store = RosterStore(database)
    await store.put("acme", agent(), now=T0)
    for presence in ("away", "offline"):
        await store.set_presence("acme", "ada", presence, now=T0)
        stored, changed = await store.heartbeat("acme", "ada", now=T0 + timedelta(minutes=1))
        assert not changed and stored is not None and stored.record.presence == presence
        assert stored.record.last_heartbeat_at == T0 + timedelta(minutes=1)
        # An agent that is not online never expires.
        assert (await store.expire("acme", "ada", cutoff=T0 + timedelta(hours=1))).presence == presence  # type: ignore[union-attr]


async def test_the_desks_activities_read_the_roster_and_expire_through_the_store(
    database: AsyncEngine,
) -> None:
    store = RosterStore(database)
    await store.put("acme", agent("ada"))
    await store.put("acme", agent("bob", teams=[], skills=[], channels=[], capacity={"*": 1}))
    await store.put("globex", agent("eve"))
    await store.set_presence("acme", "ada", "online", now=T0)
    activities = RosterActivities(store, heartbeat_timeout_seconds=90)

    before = datetime.now(UTC)
    roster = await activities.load_roster("acme")
    assert [a.agent_id for a in roster.agents] == ["ada", "bob"]
    assert roster.heartbeat_timeout_seconds == 90 and roster.read_at >= before
    assert roster.agents[0].last_heartbeat_at == T0 and roster.agents[1].capacity == {"*": 1}

    expired = await activities.expire_presence(
        PresenceExpiry(tenant="acme", agent_id="ada", cutoff=T0 + timedelta(seconds=1))
    )
    assert expired is not None and expired.presence == "away"
    assert await activities.expire_presence(PresenceExpiry(tenant="acme", agent_id="eve", cutoff=T0)) is None
