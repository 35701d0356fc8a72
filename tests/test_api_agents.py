"""The roster through the API: agents checked against the tenant's active pack, presence and heartbeats,
the assignment desk told of every change (through the real Temporal server), tenants kept apart, roles.

No worker runs the desk here (its assignment behaviour is tested with the desk): a desk started by a
roster write simply waits on the test's queue, which is enough to see each signal reach it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from engine.api.app import create_app
from engine.api.auth import KeyStore
from engine.contracts.assignment import (
    DESK_WORKFLOW,
    LOADS_QUERY,
    QUEUE_QUERY,
    ROSTER_CHANGED,
    AgentLoad,
    AgentRecord,
    DeskStart,
    QueueEntry,
    RosterChange,
    TeamQueue,
    desk_workflow_id,
)
from engine.contracts.conversation import conversation_workflow_id
from engine.db.roster import RosterStore
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.payload_codec import data_converter_of
from engine.service.temporal_server import free_port
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish
from tests.local_servers import serve_app
from tests.test_api_roles import as_key, keys_by_role

ADA = {
    "id": "ada",
    "name": "Ada Lovelace",
    "teams": ["billing"],
    "skills": ["lang:de", "Product:Billing"],
    "channels": ["email", "chat"],
    "capacity": {"email": 5, "chat": 2},
}


@pytest.fixture
def roster_pack(settings: Settings) -> str:
    """Both tenants run the roster test pack: teams billing (lang:de, lang:en, product:billing) and
    general (lang:en)."""
    return publish(settings, TEST_PACKS / "roster")


async def roster_signals(client: Client, tenant: str) -> list[str | None]:
    """The agent ids of the `roster_changed` signals the tenant's desk received, in order."""
    handle = client.get_workflow_handle(desk_workflow_id(tenant))
    agents: list[str | None] = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            signal = event.workflow_execution_signaled_event_attributes
            assert signal.signal_name == ROSTER_CHANGED
            [change] = await client.data_converter.decode(signal.input.payloads, [RosterChange])
            agents.append(change.agent_id)
    return agents


async def store_agent(settings: Settings, tenant: str, agent_id: str) -> None:
    """An agent written straight to the database: no desk is started for it."""
    database = database_of(settings)
    try:
        await RosterStore(database).put(tenant, AgentRecord(agent_id=agent_id, name=agent_id.title()))
    finally:
        await database.dispose()


async def test_create_replace_read_and_remove_an_agent_tells_the_desk_each_time(
    api: ApiClient, client: Client, tenants: dict[str, str], roster_pack: str
) -> None:
    created = await api.request("POST", "/v1/agents", json=ADA)
    assert created.status == 201, created.body
    shown = created.body
    assert shown["id"] == "ada" and shown["skills"] == ["lang:de", "product:billing"]
    assert shown["capacity"] == {"email": 5, "chat": 2}
    assert shown["presence"] == "offline" and shown["presence_reason"] == "set"

    replaced = await api.request("POST", "/v1/agents", json={**ADA, "capacity": 3, "channels": []})
    assert replaced.status == 200 and replaced.body["capacity"] == 3 and replaced.body["channels"] == []
    assert replaced.body["created_at"] == shown["created_at"]

    listed = await api.request("GET", "/v1/agents")
    assert listed.status == 200
    # The desk was started by the first write but no worker runs it here: loads are unknown, not 0.
    assert listed.body["desk"] == "not answering"
    [agent] = listed.body["agents"]
    assert agent["id"] == "ada" and agent["capacity"] == 3 and agent["load"] is None

    one = await api.request("GET", "/v1/agents/ada")
    assert one.status == 200 and one.body["name"] == "Ada Lovelace"

    removed = await api.request("DELETE", "/v1/agents/ada")
    assert removed.status == 200 and removed.body == {"id": "ada", "removed": True}
    assert (await api.request("GET", "/v1/agents/ada")).status == 404
    assert (await api.request("GET", "/v1/agents")).body["agents"] == []

    assert await roster_signals(client, tenants["acme"]) == ["ada", "ada", "ada"]


@workflow.defn(name=DESK_WORKFLOW)
class AnsweringDesk:
    """Stands in for the desk's messages only (its decisions are tested with the desk itself): it
    counts the roster changes it hears as ada's load, and has one conversation waiting in billing."""

    def __init__(self) -> None:
        self.changes: list[str | None] = []

    @workflow.run
    async def run(self, start: DeskStart) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name=ROSTER_CHANGED)
    def roster_changed(self, change: RosterChange) -> None:
        self.changes.append(change.agent_id)

    @workflow.query(name=LOADS_QUERY)
    def loads(self) -> list[AgentLoad]:
        return [
            AgentLoad(
                agent="ada",
                presence="online",
                load=len(self.changes),
                assigned=[conversation_workflow_id("t", "c-1")],
            )
        ]

    @workflow.query(name=QUEUE_QUERY)
    def queue(self, team: str) -> TeamQueue:
        waiting = QueueEntry(
            conversation_id=conversation_workflow_id("t", "c-2"),
            priority="high",
            breach_at=None,
            waiting_since=workflow.now(),
            skills=[],
        )
        return TeamQueue(team=team, entries=[waiting] if team == "billing" else [])


async def test_loads_and_queues_come_from_the_running_desk(
    api: ApiClient, client: Client, settings: Settings, roster_pack: str
) -> None:
    async with Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[AnsweringDesk],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        assert (await api.request("POST", "/v1/agents", json=ADA)).status == 201
        assert (await api.request("POST", "/v1/agents", json={**ADA, "id": "bob"})).status == 201
        listed = await api.request("GET", "/v1/agents")
        assert listed.status == 200 and listed.body["desk"] == "answered"
        loads = {a["id"]: (a["load"], a["assigned"]) for a in listed.body["agents"]}
        assert loads == {"ada": (2, ["c-1"]), "bob": (0, [])}
        billing = await api.request("GET", "/v1/teams/billing/queue")
        assert billing.status == 200 and [e["conversation_id"] for e in billing.body["entries"]] == ["c-2"]
        general = await api.request("GET", "/v1/teams/general/queue")
        assert general.body == {"team": "general", "entries": []}


async def test_without_a_desk_every_agent_has_no_load_and_every_queue_is_empty(
    api: ApiClient, settings: Settings, tenants: dict[str, str], roster_pack: str
) -> None:
    await store_agent(settings, tenants["globex"], "bob")
    listed = await api.request("GET", "/v1/agents", tenant="globex")
    assert listed.status == 200 and listed.body["desk"] == "not running"
    [bob] = listed.body["agents"]
    assert (bob["id"], bob["load"], bob["assigned"]) == ("bob", 0, [])
    queue = await api.request("GET", "/v1/teams/billing/queue", tenant="globex")
    assert queue.status == 200 and queue.body == {"team": "billing", "entries": []}

    unknown = await api.request("GET", "/v1/teams/sales/queue", tenant="globex")
    assert unknown.status == 404 and unknown.body["error"] == "team_not_found"
    assert "'sales'" in unknown.body["message"] and "billing, general" in unknown.body["message"]

    # A desk that runs but that no worker answers for is an outage, not an empty queue.
    assert (await api.request("POST", "/v1/agents", json=ADA, tenant="globex")).status == 201
    stuck = await api.request("GET", "/v1/teams/billing/queue", tenant="globex")
    assert stuck.status == 503 and stuck.body["error"] == "worker_unavailable"
    assert "Retry-After" in stuck.headers


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"teams": ["billing", "sales"]}, "teams", ["'sales'", "billing, general"]),
        ({"skills": ["lang:fr"]}, "skills", ["'lang:fr'", "lang:de, lang:en, product:billing"]),
        ({"skills": ["lang fr"]}, "skills", ["'lang fr'"]),
        ({"channels": ["fax"]}, "channels", ["'fax'", "email, chat, whatsapp, sms, social"]),
        ({"capacity": 1001}, "capacity", ["1001", "between 0 and 1000"]),
        ({"capacity": -1}, "capacity", ["-1"]),
        ({"capacity": {"email": 2, "fax": 1}}, "capacity.fax", ["'fax'"]),
        ({"capacity": {"chat": 5000}}, "capacity.chat", ["5000"]),
        ({"capacity": {}}, "capacity", ["at least one channel"]),
        # It took nothing on a channel it does not take: saved, it could never be assigned anything.
        ({"channels": ["email"], "capacity": {"chat": 2}}, "capacity.chat", ["takes email only"]),
        ({"id": "../etc"}, "id", ["'../etc'"]),
        ({"id": "a:b"}, "id", ["'a:b'"]),
    ],
)
async def test_each_bad_field_is_a_422_naming_the_field_and_the_value(
    api: ApiClient, roster_pack: str, change: dict[str, Any], field: str, words: list[str]
) -> None:
    reply = await api.request("POST", "/v1/agents", json={**ADA, **change})
    assert reply.status == 422 and reply.body["error"] == "invalid_request", reply.body
    [problem] = reply.body["fields"]
    assert problem["field"] == field
    for word in words:
        assert word in problem["message"], problem
    assert (await api.request("GET", "/v1/agents/ada")).status == 404, "nothing was stored"


async def test_bodies_and_paths_that_are_not_an_agent_are_refused(api: ApiClient, roster_pack: str) -> None:
    typo = await api.request("POST", "/v1/agents", json={**ADA, "team": ["billing"]})
    assert typo.status == 422 and typo.body["fields"][0]["field"] == "team"
    for capacity in ("5", 2.5, True, {"email": "5"}):
        # One problem on the field: the union's own errors named "capacity.int" and
        # "capacity.dict[constrained-str,int]", pydantic's words, not the API's.
        wrong_type = await api.request("POST", "/v1/agents", json={**ADA, "capacity": capacity})
        assert wrong_type.status == 422, wrong_type.body
        assert [f["field"] for f in wrong_type.body["fields"]] == ["capacity"], wrong_type.body
        assert "a whole number" in wrong_type.body["fields"][0]["message"]
    missing = await api.request("POST", "/v1/agents", json={"id": "x"})
    assert missing.status == 422 and missing.body["fields"][0]["field"] == "name"
    not_json = await api.request("POST", "/v1/agents", data=b"{nope")
    assert not_json.status == 400 and not_json.body["error"] == "malformed_json"
    too_big = await api.request("POST", "/v1/agents", json={**ADA, "name": "x" * 70_000})
    assert too_big.status == 413
    bad_id = await api.request("GET", "/v1/agents/a%3Ab")
    assert bad_id.status == 422 and bad_id.body["fields"][0]["field"] == "agent_id"
    for method, path, body in [
        ("GET", "/v1/agents/ghost", None),
        ("DELETE", "/v1/agents/ghost", None),
        ("PUT", "/v1/agents/ghost/presence", {"status": "online"}),
        ("POST", "/v1/agents/ghost/heartbeat", None),
    ]:
        reply = await api.request(method, path, json=body)
        assert reply.status == 404 and reply.body["error"] == "agent_not_found", (method, path)
        assert "'ghost'" in reply.body["message"]
    bad_status = await api.request("PUT", "/v1/agents/ghost/presence", json={"status": "busy"})
    assert bad_status.status == 422 and bad_status.body["fields"][0]["field"] == "status"


async def test_presence_and_heartbeats_and_which_of_them_the_desk_hears_about(
    api: ApiClient, client: Client, settings: Settings, tenants: dict[str, str], roster_pack: str
) -> None:
    assert (await api.request("POST", "/v1/agents", json=ADA)).status == 201
    online = await api.request("PUT", "/v1/agents/ada/presence", json={"status": "online"})
    assert online.status == 200 and online.body["presence"] == "online"
    assert online.body["last_heartbeat_at"] is not None, "online counts as a heartbeat"
    same = await api.request("PUT", "/v1/agents/ada/presence", json={"status": "online"})
    assert same.status == 200

    beat = await api.request("POST", "/v1/agents/ada/heartbeat")
    assert beat.status == 200 and beat.body["presence"] == "online"
    assert beat.body["last_heartbeat_at"] >= online.body["last_heartbeat_at"]

    # The desk drops the silent agent to away (its activity, run here through the store) ...
    database = database_of(settings)
    try:
        cutoff = datetime.now(UTC) + timedelta(seconds=1)
        expired = await RosterStore(database).expire(tenants["acme"], "ada", cutoff)
    finally:
        await database.dispose()
    assert expired is not None and expired.presence == "away"
    shown = (await api.request("GET", "/v1/agents/ada")).body
    assert shown["presence"] == "away" and shown["presence_reason"] == "heartbeat timeout"
    # ... and the agent's next heartbeat brings it back, which the desk hears about.
    back = await api.request("POST", "/v1/agents/ada/heartbeat")
    assert back.body["presence"] == "online" and back.body["presence_reason"] == "set"
    offline = await api.request("PUT", "/v1/agents/ada/presence", json={"status": "offline"})
    assert offline.body["presence"] == "offline"
    assert (await api.request("POST", "/v1/agents/ada/heartbeat")).body["presence"] == "offline"

    # Created, online, online again (a set presence is always told: it may be a retry after a 503),
    # back online by heartbeat, offline; heartbeats that change nothing are not news.
    assert await roster_signals(client, tenants["acme"]) == ["ada"] * 5


async def test_a_tenant_never_sees_or_changes_another_tenants_agents(
    api: ApiClient, tenants: dict[str, str], roster_pack: str
) -> None:
    assert (await api.request("POST", "/v1/agents", json=ADA, tenant="acme")).status == 201
    assert (await api.request("GET", "/v1/agents", tenant="globex")).body["agents"] == []
    for method, path, body in [
        ("GET", "/v1/agents/ada", None),
        ("DELETE", "/v1/agents/ada", None),
        ("PUT", "/v1/agents/ada/presence", {"status": "online"}),
        ("POST", "/v1/agents/ada/heartbeat", None),
    ]:
        reply = await api.request(method, path, json=body, tenant="globex")
        assert reply.status == 404, (method, path, reply.body)
    # globex may have its own ada; acme's stays as it was.
    own = await api.request("POST", "/v1/agents", json={**ADA, "name": "Globex Ada"}, tenant="globex")
    assert own.status == 201
    acme = (await api.request("GET", "/v1/agents/ada", tenant="acme")).body
    assert acme["name"] == "Ada Lovelace" and acme["presence"] == "offline"


async def test_ops_manage_agents_integrators_set_presence_everyone_reads(
    api: ApiClient, settings: Settings, tenants: dict[str, str], roster_pack: str
) -> None:
    keys = await keys_by_role(settings, tenants["acme"])
    assert (await as_key(api, keys["integrator"], "POST", "/v1/agents", ADA)).status == 403
    assert (await as_key(api, keys["auditor"], "POST", "/v1/agents", ADA)).status == 403
    assert (await as_key(api, keys["ops"], "POST", "/v1/agents", ADA)).status == 201
    online = {"status": "online"}
    assert (await as_key(api, keys["integrator"], "PUT", "/v1/agents/ada/presence", online)).status == 200
    assert (await as_key(api, keys["integrator"], "POST", "/v1/agents/ada/heartbeat")).status == 200
    assert (await as_key(api, keys["auditor"], "PUT", "/v1/agents/ada/presence", online)).status == 403
    for role in ("ops", "integrator", "auditor"):
        assert (await as_key(api, keys[role], "GET", "/v1/agents")).status == 200
    assert (await as_key(api, keys["integrator"], "DELETE", "/v1/agents/ada")).status == 403
    assert (await as_key(api, keys["ops"], "DELETE", "/v1/agents/ada")).status == 200


async def test_when_temporal_does_not_answer_the_write_stands_and_the_answer_is_a_503(
    settings: Settings, tenants: dict[str, str], roster_pack: str
) -> None:
    nowhere = settings.model_copy(update={"update_timeout_seconds": 1.0})
    client = await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=data_converter_of(settings)
    )
    async with (
        serve_app(create_app(client, nowhere, KeyStore.from_settings(nowhere))) as server,
        aiohttp.ClientSession() as session,
    ):
        api = ApiClient(str(server.make_url("")).rstrip("/"), session, tenants)
        reply = await api.request("POST", "/v1/agents", json=ADA)
        assert reply.status == 503 and reply.body["error"] == "temporal_unavailable", reply.body
        assert "saved" in reply.body["message"] and "Retry-After" in reply.headers
        # The roster is still there to read, with loads unknown.
        listed = await api.request("GET", "/v1/agents")
        assert listed.status == 200 and listed.body["desk"] == "not answering"
        assert [(a["id"], a["load"]) for a in listed.body["agents"]] == [("ada", None)]
        queue = await api.request("GET", "/v1/teams/billing/queue")
        assert queue.status == 503 and queue.body["error"] == "temporal_unavailable"
    database = database_of(settings)
    try:
        assert await RosterStore(database).get(tenants["acme"], "ada") is not None
    finally:
        await database.dispose()
