"""What a conversation costs in Temporal: workflow tasks per message, and one parsed pack per hash.

These assert the shape of the work (history events, shared objects), never its duration: speed is
measured by the benchmarks under bench/.
"""

from __future__ import annotations

import ast
import gc
import importlib
import json
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client

from engine.contracts.activities import (
    LOAD_RULE_PACK,
    LOAD_WORKFLOW_PACK,
    RECORD_EVENTS,
    RECORD_HANDLED,
    RECORD_KPI_FACTS,
)
from engine.db.kpi_facts import KpiFactStore
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.pack_files import load_valid
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish
from tests.outbox_rows import OutboxRows
from tests.replay import replay_every_run
from workflows import conversation
from workflows.conversation import search_attributes as sa
from workflows.conversation.patches import BUNDLES, first_bundle
from workflows.conversation.shared_packs import shared_pack

DEFAULT_PACK = Path(__file__).resolve().parent.parent / "rule_packs" / "default"


async def history_of(client: Client, workflow_id: str) -> History:
    return await client.get_workflow_handle(workflow_id).fetch_history()


def tasks_before_update_completed(history: History, nth: int = 0) -> int:
    """Workflow tasks completed before the `nth` update of the run completed."""
    tasks = 0
    updates = 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks += 1
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            if updates == nth:
                return tasks
            updates += 1
    raise AssertionError(f"update {nth} never completed")


async def test_the_first_message_is_one_workflow_task(
    api: ApiClient, worker: None, client: Client, outbox: OutboxRows
) -> None:
    """Creating the conversation looks the customer up and sends the acknowledgement (local
    activities), so the caller's answer comes after one workflow task, not three."""
    answer = await api.post_message("cost-1", "m-1")
    assert answer.status == 201, answer.body
    assert [m["kind"] for m in outbox.read_all()] == ["auto_reply"]
    history = await history_of(client, api.workflow_id("cost-1"))
    assert tasks_before_update_completed(history) == 1
    kinds = [e.event_type for e in history.events]
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds

    second = await api.post_message("cost-1", "m-2", "And another thing")
    assert second.status == 200, second.body
    history = await history_of(client, api.workflow_id("cost-1"))
    assert tasks_before_update_completed(history, 1) == 2


def cached_conversations() -> list[object]:
    """The conversation workflow instances the worker keeps in its cache (one class per sandbox)."""
    return [o for o in gc.get_objects() if type(o).__name__ == "ConversationWorkflow"]


async def test_conversations_on_one_pack_share_one_parsed_pack(api: ApiClient, worker: None) -> None:
    """Each conversation records its pack in history, but the worker keeps one parsed copy per hash
    rather than one per cached conversation."""
    for name in ("share-1", "share-2", "share-3"):
        answer = await api.post_message(name, f"{name}-m1")
        assert answer.status == 201, answer.body
    mine = [
        wf
        for wf in cached_conversations()
        if getattr(wf, "_state", None) is not None and wf._state.tenant == api.tenants["acme"]  # type: ignore[attr-defined]
    ]
    assert len(mine) == 3
    packs = {id(wf._pack) for wf in mine}  # type: ignore[attr-defined]
    assert len(packs) == 1
    assert mine[0]._pack is shared_pack(f"{mine[0]._state.pack_hash}:workflow", {})  # type: ignore[attr-defined]


def marker_fields(history: History, marker: str, detail: str, field: str) -> list[str]:
    """`field` of the JSON in `detail` of every `marker` a run recorded, in order."""
    return [
        json.loads(event.marker_recorded_event_attributes.details[detail].payloads[0].data)[field]
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == marker
    ]


def patch_markers(history: History) -> list[str]:
    """The ids of the patches a run recorded, in order."""
    return marker_fields(history, "core_patch", "patch-data", "id")


async def test_a_new_conversation_records_one_patch_for_all_its_patches(
    api: ApiClient, worker: None, client: Client
) -> None:
    """Its first message takes every patch of the workflow (threads, local I/O, the early answer,
    decide results, triage, KPI facts and events in one call), yet its history has one patch marker
    (the newest bundle) and one
    search-attribute upsert for them, not two commands per patch: the SDK core keeps a state
    machine per command for as long as the conversation is cached."""
    answer = await api.post_message("cost-patches", "m-1")
    assert answer.status == 201, answer.body
    history = await history_of(client, api.workflow_id("cost-patches"))
    assert patch_markers(history) == [BUNDLES[0]]
    upserts = [
        event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    assert sum("TemporalChangeVersion" in fields for fields in upserts) == 1


def attribute_upserts_per_task(history: History) -> list[list[dict[str, str]]]:
    """For each completed workflow task, the conversation's own search-attribute upserts (the patch
    markers' `TemporalChangeVersion` left out), each as {attribute: its value's JSON}."""
    tasks: list[list[dict[str, str]]] = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks.append([])
        elif event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            if "TemporalChangeVersion" not in fields:
                tasks[-1].append({name: payload.data.decode() for name, payload in fields.items()})
    return tasks


async def test_a_task_upserts_the_search_attributes_once_with_where_it_left_them(
    api: ApiClient, worker: None, client: Client, settings: Settings
) -> None:
    """Handling a first message starts its SLA clocks and runs its rules, two changes of the search
    attributes: one upsert when the task is done (it was one per change, each a command the SDK core
    keeps while the conversation is cached), carrying the values the conversation shows afterwards,
    so lists by status, tag or breach stay true."""
    publish(settings, TEST_PACKS / "timers")
    answer = await api.post_message("cost-upserts", "m-1", wait="decided")
    assert answer.status == 201, answer.body
    state = (await api.get("cost-upserts")).body
    assert state["sla"]["targets"]["first_response"]["deadline"], state["sla"]
    history = await history_of(client, api.workflow_id("cost-upserts"))
    tasks = attribute_upserts_per_task(history)
    handling = tasks_before_update_completed(history) - 1  # the task the decided answer left with
    assert [len(upserts) for upserts in tasks[: handling + 1]] == [0] * handling + [1], tasks
    [upsert] = tasks[handling]
    # The SLA's start changed them first; the upsert has what the rest of the handling left.
    assert datetime.fromisoformat(json.loads(upsert["ConvoLastActivityAt"])) == sa.minute_of(
        datetime.fromisoformat(state["updated_at"])
    )
    assert json.loads(upsert["ConvoStatus"]) == state["status"]
    assert json.loads(upsert["ConvoSlaBreached"]) is False


async def test_next_messages_within_the_minute_upsert_nothing(
    api: ApiClient, worker: None, client: Client, settings: Settings
) -> None:
    """A customer's next message changes nothing a list shows but the minute of the latest activity:
    within the same minute its handling upserts nothing (each upsert was a visibility write, a quarter of
    the server's CPU for the message), in a new minute it upserts that minute, and the list shows it."""
    minutes = []
    for n in range(1, 5):
        answer = await api.post_message("cost-quiet", f"m-{n}", wait="decided")
        assert answer.status in (200, 201), answer.body
        minutes.append(sa.minute_of(datetime.fromisoformat((await api.get("cost-quiet")).body["updated_at"])))
    history = await history_of(client, api.workflow_id("cost-quiet"))
    handling = tasks_before_update_completed(history) - 1
    later = [u for task in attribute_upserts_per_task(history)[handling + 1 :] for u in task]
    moved = [after for before, after in pairwise(minutes) if after != before]
    assert all(set(u) == {"ConvoLastActivityAt"} for u in later), later
    assert [datetime.fromisoformat(json.loads(u["ConvoLastActivityAt"])) for u in later] == moved, later
    listed = (await api.request("GET", "/v1/conversations")).body["conversations"]
    assert [c["last_activity_at"] for c in listed if c["conversation_id"] == "cost-quiet"] == [
        minutes[-1].isoformat().replace("+00:00", "Z")
    ]
    await replay_every_run(client, settings.task_queue)


def local_activities(history: History) -> list[str]:
    """The types of the local activities a run recorded, in order."""
    return marker_fields(history, "core_local_activity", "data", "activity_type")


async def test_a_handled_event_writes_its_facts_and_events_in_one_local_activity(
    api: ApiClient, worker: None, client: Client, settings: Settings
) -> None:
    """Each handled message leaves its KPI facts and its subscription events in one local activity
    (one command and one marker in history), not one each; and the facts do reach the projection."""
    for n in (1, 2):  # answered after their rules and records
        reply = await api.post_message("cost-records", f"m-{n}", wait="decided")
        assert reply.status in (200, 201), reply.body
    kinds = local_activities(await history_of(client, api.workflow_id("cost-records")))
    assert kinds.count(RECORD_HANDLED) == 2, kinds
    assert RECORD_KPI_FACTS not in kinds and RECORD_EVENTS not in kinds, kinds
    database = database_of(settings)
    try:
        facts = await KpiFactStore(database).facts(api.tenants["acme"])
    finally:
        await database.dispose()
    assert {f.kind for f in facts if f.conversation_id == "cost-records"} >= {"created", "customer_message"}


async def test_a_conversation_records_only_the_part_of_its_pack_it_reads(
    api: ApiClient, worker: None, client: Client, settings: Settings
) -> None:
    """Rules and intents are read by the `decide` activity alone: a run records the rest of its pack
    (templates, SLA policies, calendars, teams, settings), so on a large pack its first task, its
    history and the worker's copy while it is cached do not carry every rule."""
    pack = load_valid(DEFAULT_PACK)
    publish(settings, DEFAULT_PACK)
    answer = await api.post_message("cost-pack", "m-1", wait="decided")
    assert answer.status == 201, answer.body
    history = await history_of(client, api.workflow_id("cost-pack"))
    markers = [
        event.marker_recorded_event_attributes
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]
    [result] = [
        m.details["result"]
        for m, kind in zip(markers, local_activities(history), strict=True)
        if kind == LOAD_WORKFLOW_PACK
    ]
    codec = client.data_converter.payload_codec
    assert codec is not None
    [recorded] = [json.loads(p.data) for p in await codec.decode(result.payloads)]
    assert recorded == pack.workflow_part()
    assert "rules" not in recorded and recorded["templates"] == pack.canonical()["templates"]
    assert LOAD_RULE_PACK not in local_activities(history)


def test_every_patch_the_workflow_asks_is_in_a_bundle() -> None:
    """A patch asked through `_patched` but in no bundle would be taken without a marker by runs
    that began with an older bundle, and they would fail to replay: each must be listed."""
    asked: list[str] = []
    for path in sorted(Path(conversation.__file__).parent.glob("*.py")):
        module = importlib.import_module(f"workflows.conversation.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_patched"
            ):
                argument = node.args[0]
                assert isinstance(argument, ast.Name), ast.unparse(node)
                asked.append(getattr(module, argument.id))
    assert len(asked) >= 11
    for patch in asked:
        assert first_bundle(patch) in BUNDLES
    with pytest.raises(ValueError, match="in no bundle"):
        first_bundle("a-patch-nobody-listed")
