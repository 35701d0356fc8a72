"""A conversation's search attributes: each upsert carries what changed, and Temporal holds them all.

Lists and filters (`GET /v1/conversations?assignee=...`) read what Temporal holds, so after every
event it must equal what the conversation's state says, including an attribute taken away.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.converter import encode_typed_search_attribute_value

from engine.contracts.conversation import ConversationState, Party
from engine.service import audit_bundle
from engine.service.audit_explain import conversations_since
from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.conftest import publish
from tests.polling import eventually
from tests.replay import replay_every_run
from tests.test_large_trail import write_document
from workflows.conversation import search_attributes as sa
from workflows.conversation.workflow import ConversationWorkflow

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def state(**changes: Any) -> ConversationState:
    fields: dict[str, Any] = {
        "conversation_id": "conversation:acme:c-1",
        "tenant": "acme",
        "external_id": "c-1",
        "channel": "email",
        "customer": Party(address="ada@example.com"),
        "created_at": NOW,
        "updated_at": NOW,
    }
    return ConversationState(**{**fields, **changes})


def names(updates: list[Any]) -> dict[str, Any]:
    return {u.key.name: u.value for u in updates}


def test_the_first_upsert_carries_every_attribute_and_the_next_what_changed() -> None:
    published: dict[str, Any] = {}
    first = names(sa.changed_since(sa.updates_for(state(team="billing")), published))
    assert first == names(sa.updates_for(state(team="billing")))
    assert first["ConvoTeam"] == "billing" and first["ConvoAssignee"] is None  # unset, said once

    later = state(team="billing", assignee="agent-7", updated_at=NOW + timedelta(minutes=1))
    assert names(sa.changed_since(sa.updates_for(later), published)) == {
        "ConvoAssignee": "agent-7",
        "ConvoLastActivityAt": NOW + timedelta(minutes=1),
    }
    released = state(team="billing", updated_at=NOW + timedelta(minutes=1))
    assert names(sa.changed_since(sa.updates_for(released), published)) == {"ConvoAssignee": None}


def test_activity_within_the_minute_changes_nothing_a_list_shows() -> None:
    """`ConvoLastActivityAt` holds the minute: the messages of a chat's burst leave nothing to upsert
    (runs of QUIET_ATTRIBUTES_PATCH then upsert nothing), the next minute's message moves it."""
    published: dict[str, Any] = {}
    sa.changed_since(sa.updates_for(state(updated_at=NOW + timedelta(seconds=5))), published)
    assert published["ConvoLastActivityAt"] == NOW
    burst = state(updated_at=NOW + timedelta(seconds=59, microseconds=999_999))
    assert sa.changed_since(sa.updates_for(burst), published) == []
    later = state(updated_at=NOW + timedelta(minutes=1, seconds=2))
    assert names(sa.changed_since(sa.updates_for(later), published)) == {
        "ConvoLastActivityAt": NOW + timedelta(minutes=1)
    }


async def test_temporal_holds_what_the_state_says_after_every_event(
    api: ApiClient, client: Client, settings: Settings, worker: None
) -> None:
    conversation = "sa-1"
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, api.workflow_id(conversation))

    async def held_matches_state() -> None:
        held = (await handle.describe()).typed_search_attributes
        current = await handle.query(ConversationWorkflow.state)
        for update in sa.updates_for(current):
            expected = update.value if update.value != [] else None  # Temporal holds no empty list
            assert held.get(update.key) == expected, update.key.name

    assert (await api.post_message(conversation, "m-1", "hello", wait="decided")).status == 201
    await held_matches_state()
    path = f"/v1/conversations/{conversation}"
    assert (await api.request("POST", f"{path}/assignment", json={"agent_id": "agent-7"})).status == 200
    await held_matches_state()
    listed = await api.request("GET", "/v1/conversations?assignee=agent-7")
    assert [c["conversation_id"] for c in listed.body["conversations"]] == [conversation]

    assert (await api.request("POST", f"{path}/unassignment", json={})).status == 200
    await held_matches_state()
    assert (await handle.describe()).typed_search_attributes.get(sa.ASSIGNEE) is None
    listed = await api.request("GET", "/v1/conversations?assignee=agent-7")
    assert listed.body["conversations"] == []

    assert (await api.request("POST", f"{path}/status", json={"status": "closed"})).status == 200
    await held_matches_state()

    history = await handle.fetch_history()
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in history.events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    carried = [set(fields) for fields in upserts if "TemporalChangeVersion" not in fields]
    assert len(carried[0]) >= len(sa.ALL) - 3  # the first: every attribute the state has
    assert all(len(fields) < len(carried[0]) for fields in carried[1:])
    await replay_every_run(client, settings.task_queue)


async def test_an_agent_named_by_an_address_is_found_by_the_list_s_assignee_filter(
    api: ApiClient, worker: None
) -> None:
    """A tenant without a roster assigns by its helpdesk login (an address): the assignment took it,
    and the list's `assignee` filter then refused the same id with a 422."""
    assert (await api.post_message("sa-at", "m-1", "hello", wait="decided")).status == 201
    assigned = await api.request(
        "POST", "/v1/conversations/sa-at/assignment", json={"agent_id": "olga@helpdesk.example"}
    )
    assert assigned.status == 200, assigned.body

    async def listed() -> list[str]:
        answer = await api.request("GET", "/v1/conversations?assignee=olga%40helpdesk.example")
        assert answer.status == 200, answer.body
        return [c["conversation_id"] for c in answer.body["conversations"]]

    async def found() -> bool:  # Temporal's visibility takes the upsert a moment after the answer
        return bool(await listed())

    await eventually(found, "the assigned conversation in the list")
    assert await listed() == ["sa-at"]
    quoted = await api.request("GET", "/v1/conversations?assignee=olga%27%20OR%20x")
    assert quoted.status == 422 and quoted.body["fields"][0]["field"] == "assignee"


async def test_a_language_finds_its_regional_forms_and_a_region_only_itself(
    api: ApiClient, worker: None
) -> None:
    """`language=de` found only conversations tagged exactly `de`: a Swiss customer whose channel
    declared `de-CH` was missing from the German list (helper-118)."""
    for conversation, language in (("la-ch", "de-CH"), ("la-de", "de"), ("la-fr", "fr"), ("la-dk", "da")):
        message = {
            "message_id": "m-1",
            "channel": "chat",
            "sender": {"address": f"visitor-{conversation}"},
            "text": "Hallo",
            "language": language,
        }
        answer = await api.request("POST", f"/v1/conversations/{conversation}/messages", json=message)
        assert answer.status == 201, answer.body

    async def listed(language: str) -> list[str]:
        answer = await api.request("GET", f"/v1/conversations?language={language}")
        assert answer.status == 200, answer.body
        return sorted(c["conversation_id"] for c in answer.body["conversations"])

    async def all_listed() -> bool:  # visibility takes the upserts a moment after the answers
        return len(await listed("de")) == 2 and len(await listed("da")) == 1

    await eventually(all_listed, "the German and Danish conversations in the list")
    assert await listed("de") == ["la-ch", "la-de"]
    assert await listed("DE_ch") == ["la-ch"]  # a region: only itself, as BCP 47 writes it
    assert await listed("d") == []  # a prefix of a language is no language


async def test_a_conversation_with_many_long_tags_keeps_taking_messages(
    api: ApiClient, client: Client, settings: Settings, worker: None, tmp_path: Path
) -> None:
    """40 tags of 64 characters (a legal pack) made a 2,681-byte attribute value. Temporal refused the
    upsert and terminated the workflow: the conversation's state was gone, and its next message began
    a new conversation (`created`), terminated in turn."""
    tags = [f"{i:02d}-" + "x" * 61 for i in range(40)]
    pack = {
        "meta": {"name": "many-tags"},
        "rules": [{"id": "tag-all", "on": ["message.received"], "if": True, "then": [{"add_tags": tags}]}],
    }
    publish(settings, write_document(tmp_path / "many-tags", pack))
    first = await api.post_message("tags-1", "m-1", "hello")
    assert first.status == 201, first.body
    assert (await api.get("tags-1")).body["tags"] == tags  # the conversation keeps them all
    second = await api.post_message("tags-1", "m-2", "hello again")
    assert second.status == 200 and second.body["created"] is False and second.body["seq"] > 1
    described = await client.get_workflow_handle(api.workflow_id("tags-1")).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING

    listed = (await api.request("GET", f"/v1/conversations?tag={tags[0]}")).body["conversations"]
    assert [c["conversation_id"] for c in listed] == ["tags-1"]
    shown = listed[0]["tags"]
    assert shown == tags[: len(shown)] and 20 < len(shown) < len(tags)  # the oldest, as many as fit


def test_listed_tags_fit_one_attribute_value_however_they_are_written() -> None:
    for tags in (["ü" * 64] * 40, [f"t{i}" for i in range(1_000)], ['"\\'] * 500):
        shown = sa.listed_tags(tags)
        assert shown == tags[: len(shown)] and shown
        assert len(encode_typed_search_attribute_value(sa.TAGS, shown).data) <= sa.MAX_VALUE_BYTES
        one_more = tags[: len(shown) + 1]
        assert len(encode_typed_search_attribute_value(sa.TAGS, one_more).data) > sa.MAX_VALUE_BYTES
    assert sa.listed_tags(["billing", "vip"]) == ["billing", "vip"]


def test_a_team_too_long_for_temporal_is_listed_as_none() -> None:
    """A pack published before team names were bounded may name a team of thousands of characters;
    its conversations go on, listed without a team, rather than fail every task."""
    long = names(sa.updates_for(state(team="t" * 3000)))
    assert long["ConvoTeam"] is None
    assert names(sa.updates_for(state(team="t" * 64)))["ConvoTeam"] == "t" * 64
    assert names(sa.updates_for(state(team="é" * 300)))["ConvoTeam"] == "é" * 300  # 1,802 bytes: taken


async def test_activity_since_an_instant_is_found_within_its_minute(
    api: ApiClient, client: Client, worker: None
) -> None:
    """Lists hold the minute of the latest activity, so a message later in the minute than `since`
    leaves the listed value before it: the audit's "conversations active since" must still find it."""
    assert (await api.post_message("since-1", "m-1", "hello", wait="decided")).status == 201
    since = datetime.now(UTC)
    assert (await api.post_message("since-1", "m-2", "again", wait="decided")).status == 200
    tenant = api.tenants["acme"]
    assert await conversations_since(client, tenant, since) == ["since-1"]
    assert await audit_bundle.conversations(client, tenant, since) == ["since-1"]
    later = since + timedelta(minutes=2)  # past the minute of any activity above
    assert await conversations_since(client, tenant, later) == []
