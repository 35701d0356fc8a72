"""Assignment on the real Temporal server: agents from the roster API, conversations through the API.

What a team lead would check: conversations go to agents that are online, have the skills and a
free slot; they wait in the team's queue otherwise and are served in order when a slot frees; an
agent who goes away or leaves a customer waiting loses the conversation to a colleague; every
assignment says why on the conversation's decision trail.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from engine.contracts.assignment import desk_workflow_id
from engine.service.config import Settings
from engine.service.worker import build_worker
from tests.api_client import ApiClient, trail
from tests.conftest import TEST_PACKS, publish, serve_api
from tests.polling import eventually
from tests.test_lifecycle import state


@pytest.fixture
def desk_pack(settings: Settings) -> str:
    return publish(settings, TEST_PACKS / "desk")


async def add_agent(api: ApiClient, agent_id: str, *, presence: str = "online", **fields: Any) -> None:
    body = {"id": agent_id, "name": agent_id.title(), "teams": ["support", "billing"], "capacity": 5}
    body |= {"skills": ["lang:en"]} | fields
    created = await api.request("POST", "/v1/agents", json=body)
    assert created.status in (200, 201), created.body
    moved = await api.request("PUT", f"/v1/agents/{agent_id}/presence", json={"status": presence})
    assert moved.status == 200, moved.body


async def post_german(api: ApiClient, conversation: str, text: str) -> None:
    """Kai writes in German (`language: de`), the conversation's first message."""
    body = {
        "message_id": "m1",
        "channel": "email",
        "sender": {"address": "kai@example.com"},
        "text": text,
        "language": "de",
    }
    posted = await api.request("POST", f"/v1/conversations/{conversation}/messages", json=body)
    assert posted.status == 201, posted.body


async def assignee(api: ApiClient, conversation: str) -> str | None:
    return (await state(api, conversation))["assignee"]


async def assigned_to(api: ApiClient, conversation: str, agent: str | None) -> None:
    async def check() -> bool:
        return await assignee(api, conversation) == agent

    await eventually(check, f"{conversation} assigned to {agent}")


async def loads(api: ApiClient) -> dict[str, int]:
    reply = await api.request("GET", "/v1/agents")
    assert reply.status == 200, reply.body
    return {a["id"]: a["load"] for a in reply.body["agents"]}


async def queue(api: ApiClient, team: str = "support") -> list[str]:
    reply = await api.request("GET", f"/v1/teams/{team}/queue")
    assert reply.status == 200, reply.body
    return [e["conversation_id"] for e in reply.body["entries"]]


async def test_a_conversation_goes_to_an_online_agent_with_the_skill_and_the_trail_says_why(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "ana", skills=["lang:en"])
    await add_agent(api, "ben", skills=["lang:en", "lang:de"])
    await add_agent(api, "cy", skills=["lang:de"], presence="away")
    await post_german(api, "c-de", "Hallo")
    await assigned_to(api, "c-de", "ben")
    shown = await state(api, "c-de")
    assert "assigned" in shown["tags"]  # conversation.assigned raised the pack's rule
    (entry,) = [d for d in await trail(api, "c-de") if d["event"] == "conversation.assigned"]
    record = entry["assignment"]["assignment"]
    assert record["chosen"] == "ben" and record["required_skills"] == ["lang:de"]
    why = {c["agent"]: c["excluded_by"] for c in record["candidates"]}
    assert why == {"ana": "lacks skills lang:de", "ben": None, "cy": "presence away"}
    assert (await loads(api))["ben"] == 1


async def test_fifty_conversations_for_one_free_slot_one_is_assigned_the_rest_wait_in_order(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "solo", capacity=1)
    answers = await asyncio.gather(*(api.post_message(f"c{n}", f"m{n}", "Hello there") for n in range(50)))
    assert all(a.status == 201 for a in answers), [a.body for a in answers if a.status != 201][:2]
    waiting = await queue(api)
    assigned = [n for n in range(50) if f"c{n}" not in waiting]
    assert len(assigned) == 1 and len(waiting) == 49
    assert (await loads(api)) == {"solo": 1}
    # the first to wait is served when the slot frees
    closed = await api.request("POST", f"/v1/conversations/c{assigned[0]}/status", json={"status": "closed"})
    assert closed.status == 200, closed.body
    await assigned_to(api, waiting[0], "solo")
    assert (await queue(api)) == waiting[1:]


async def test_a_conversation_solved_while_it_waited_is_never_handed_to_the_agent_who_frees_up(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    """Solved in the queue, it stayed there with the status it asked with: the agent who freed up
    took it, and it held that seat until it closed, days later, while new work queued behind it."""
    await add_agent(api, "solo", capacity=1)
    for n in (1, 2):
        await api.post_message(f"c{n}", f"m{n}", "Hello there")
    assert await queue(api) == ["c2"]
    for n in (2, 1):  # c2 needs nobody now; then solo is free
        solved = await api.request("POST", f"/v1/conversations/c{n}/status", json={"status": "solved"})
        assert solved.status == 200, solved.body
    assert await queue(api) == [] and await loads(api) == {"solo": 0}
    await api.post_message("c3", "m3", "Hello there")
    await assigned_to(api, "c3", "solo")  # the new work, not the solved c2
    assert await assignee(api, "c2") is None
    closed = await api.request("POST", "/v1/conversations/c3/status", json={"status": "closed"})
    assert closed.status == 200, closed.body
    await api.post_message("c2", "m2-again", "Sorry, it broke again")  # reopened: waits no more
    await assigned_to(api, "c2", "solo")


async def test_the_queue_of_a_team_a_pack_dropped_still_shows_who_waits_in_it(
    api: ApiClient, settings: Settings, worker: None, desk_pack: str, tmp_path: Path
) -> None:
    """Published without the team its conversations wait in, the queue answered 404 while the
    conversation list showed them waiting: nobody could see in what order they would be served."""
    await add_agent(api, "solo", capacity=1)
    for n in (1, 2):
        await api.post_message(f"c{n}", f"m{n}", "Hello there")
    assert await queue(api) == ["c2"]
    text = (TEST_PACKS / "desk" / "pack.yaml").read_text(encoding="utf-8")
    # The team support and its routing rule cut out: the pack's other teams and rules stay.
    cut = text[: text.index("  support:\n")] + text[text.index("  billing:\n") :]
    dropped = cut[: cut.index("  - id: route-support")] + cut[cut.index("  - id: route-billing\n") :]
    (tmp_path / "dropped").mkdir()
    (tmp_path / "dropped" / "pack.yaml").write_text(dropped, encoding="utf-8")
    publish(settings, tmp_path / "dropped")

    async def dropped_is_active() -> bool:  # this API reads the active pack again within seconds
        agent = {"id": "sam", "name": "Sam", "teams": ["support"], "capacity": 1}
        return (await api.request("POST", "/v1/agents", json=agent)).status == 422

    await eventually(dropped_is_active, "the pack without team support active for the API")
    assert await queue(api) == ["c2"]  # answered 404 team_not_found
    unknown = await api.request("GET", "/v1/teams/nosuch/queue")
    assert unknown.status == 404 and unknown.body["error"] == "team_not_found"


async def test_a_queued_conversation_made_urgent_is_served_first(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    # The desk kept the priority a request had when it was queued: c3, urgent once its customer said
    # so, stayed behind c2 and the freed slot went to c2.
    await add_agent(api, "solo", capacity=1)
    for n in (1, 2, 3):
        await api.post_message(f"c{n}", f"m{n}", "Hello there")
    assert await queue(api) == ["c2", "c3"]
    await api.post_message("c3", "m3-again", "this is urgent now")
    assert (await state(api, "c3"))["priority"] == "urgent"
    assert await queue(api) == ["c3", "c2"]
    closed = await api.request("POST", "/v1/conversations/c1/status", json={"status": "closed"})
    assert closed.status == 200, closed.body
    await assigned_to(api, "c3", "solo")
    assert await queue(api) == ["c2"]


async def test_an_agent_gone_away_loses_the_conversation_to_a_colleague_after_the_grace_period(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "ana")
    await api.post_message("c-away", "m1", "Hello there")
    await assigned_to(api, "c-away", "ana")
    await add_agent(api, "ben")
    await api.request("PUT", "/v1/agents/ana/presence", json={"status": "away"})
    await assigned_to(api, "c-away", "ben")
    events = [d["event"] for d in await trail(api, "c-away")]
    assert events.count("conversation.assigned") == 2 and "conversation.unassigned" in events
    assert "was-unassigned" in (await state(api, "c-away"))["tags"]
    assert await loads(api) == {"ana": 0, "ben": 1}


async def test_an_unanswered_customer_is_reassigned_and_the_timeout_raises_rules(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "ana")
    await api.post_message("c-wait", "m1", "Hello there")
    await assigned_to(api, "c-wait", "ana")
    await add_agent(api, "ben")
    await assigned_to(api, "c-wait", "ben")  # ana left the customer waiting 0.03 business minutes
    shown = await state(api, "c-wait")
    assert "timed-out" in shown["tags"]
    reassigned = [d for d in await trail(api, "c-wait") if d["event"] == "conversation.assigned"][-1]
    excluded = {c["agent"]: c["excluded_by"] for c in reassigned["assignment"]["assignment"]["candidates"]}
    assert excluded["ana"].startswith("excluded: unanswered for 0.03 business minutes")


async def test_a_team_of_one_keeps_its_agent_when_nobody_else_can_take_the_conversation(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    # The unanswered timeout asked for someone else; nobody else could take it, so the conversation
    # let solo go and waited in the queue for a colleague the team does not have, beside an idle solo.
    await add_agent(api, "solo")
    await api.post_message("c-alone", "m1", "Hello there")
    await assigned_to(api, "c-alone", "solo")

    async def reassigned() -> list[dict[str, Any]]:
        return [d for d in await trail(api, "c-alone") if d["event"] == "assignment.reassign"]

    await eventually(reassigned, "the unanswered timeout asked for someone else")
    (first, *_) = await reassigned()
    assert first["note"].startswith("kept by solo, nobody else can take it: no eligible agent: solo excluded")
    assert await assignee(api, "c-alone") == "solo" and await queue(api) == []
    events = [d["event"] for d in await trail(api, "c-alone")]
    assert "conversation.unassigned" not in events and events.count("conversation.assigned") == 1
    assert (await loads(api)) == {"solo": 1}


async def test_a_conversation_its_agent_could_not_keep_goes_back_to_them_once_they_have_room(
    api: ApiClient, worker: None, settings: Settings, tmp_path: Path
) -> None:
    """Over capacity at the unanswered timeout (its capacity cut), solo could not keep one of its
    two conversations: queued excluding solo, it waited for ever beside solo once solo was idle, and
    newer conversations went to solo before it."""
    # The capacity is cut before the timeout fires: 6 s, not the desk pack's 1.8 s, which a loaded CI
    # machine spent assigning the two (the timeout then found solo within capacity, and kept it).
    pack = tmp_path / "desk-slower-unanswered"
    shutil.copytree(TEST_PACKS / "desk", pack)
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    assert "unanswered_minutes: 0.03" in text
    (pack / "pack.yaml").write_text(text.replace("unanswered_minutes: 0.03", "unanswered_minutes: 0.1"))
    publish(settings, pack)
    await add_agent(api, "solo", capacity=2)
    for name in ("c-a", "c-b"):
        await api.post_message(name, f"{name}-m1", "Hello there")
        await assigned_to(api, name, "solo")
    await add_agent(api, "solo", capacity=1)  # replaced: one slot for two conversations

    async def one_queued() -> bool:
        return len(await queue(api)) == 1

    await eventually(one_queued, "the unanswered timeout queued one of them")
    [waiting] = await queue(api)
    [kept] = {"c-a", "c-b"} - {waiting}
    assert await assignee(api, waiting) is None and await assignee(api, kept) == "solo"
    closed = await api.request("POST", f"/v1/conversations/{kept}/status", json={"status": "closed"})
    assert closed.status == 200, closed.body
    await assigned_to(api, waiting, "solo")
    last = [d for d in await trail(api, waiting) if d["event"] == "conversation.assigned"][-1]
    assert last["assignment"]["assignment"]["reason"].startswith("back to solo, nobody else can take it")


async def test_the_unanswered_timer_counts_on_the_team_calendar_not_the_sla_policy_s(
    api: ApiClient, worker: None, settings: Settings, tmp_path: Path
) -> None:
    """README: `unanswered_minutes` are business minutes on the team's calendar. They counted on the
    SLA policy's: a 24/7 team whose policy keeps office hours (here: closed today and tomorrow) left
    the customer with a silent agent until the office opened."""
    today = datetime.now(UTC).date()
    pack = tmp_path / "desk-office-sla"
    shutil.copytree(TEST_PACKS / "desk", pack)
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    closed = ", ".join(f'"{today + timedelta(days=d)}"' for d in (-1, 0, 1))
    text = text.replace(
        "sla_policies:",
        "  office:\n    timezone: UTC\n"
        '    hours: {mon: [["00:00", "24:00"]], tue: [["00:00", "24:00"]], wed: [["00:00", "24:00"]],\n'
        '            thu: [["00:00", "24:00"]], fri: [["00:00", "24:00"]], sat: [["00:00", "24:00"]],\n'
        '            sun: [["00:00", "24:00"]]}\n'
        f"    holidays: [{closed}]\n"
        "sla_policies:",
        1,
    )
    text = text.replace(
        "teams:\n",
        "  standard: {calendar: office, first_response_minutes: 60, resolution_minutes: 600}\nteams:\n",
        1,
    )
    text = text.replace(
        "      - route: support\n      - assign: {by_language: true}\n",
        "      - route: support\n      - apply_sla: standard\n      - assign: {by_language: true}\n",
        1,
    )
    (pack / "pack.yaml").write_text(text, encoding="utf-8")
    publish(settings, pack)
    await add_agent(api, "ana")
    await api.post_message("c-office", "m1", "Hello there")
    await assigned_to(api, "c-office", "ana")
    assert (await state(api, "c-office"))["sla"]["policy"] == "standard"
    await add_agent(api, "ben")
    await assigned_to(api, "c-office", "ben")  # 0.03 minutes on the team's always-open calendar
    assert "timed-out" in (await state(api, "c-office"))["tags"]


async def test_an_answered_customer_keeps_the_agent(api: ApiClient, worker: None, desk_pack: str) -> None:
    await add_agent(api, "ana")
    await add_agent(api, "ben")
    await api.post_message("c-ok", "m1", "Hello there")
    await assigned_to(api, "c-ok", "ana")
    first = await assignee(api, "c-ok")
    reply = await api.request(
        "POST",
        "/v1/conversations/c-ok/replies",
        json={"agent_id": first, "text": "On it", "message_id": "r1"},
    )
    assert reply.status == 200, reply.body
    # a later event proves the timer was cleared: the workflow processed the reply and another event
    await api.request("POST", "/v1/conversations/c-ok/status", json={"status": "pending"})
    shown = await state(api, "c-ok")
    assert shown["assignee"] == first and "timed-out" not in shown["tags"]


async def test_manual_assignment_is_checked_and_unassignment_frees_the_slot(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "ana", capacity=1)
    await add_agent(api, "ben", presence="offline")
    await api.post_message("c-1", "m1", "Hello there")
    await assigned_to(api, "c-1", "ana")
    await api.post_message("c-2", "m2", "Hello there")
    refused = await api.request("POST", "/v1/conversations/c-2/assignment", json={"agent_id": "ben"})
    assert refused.status == 409 and refused.body["error"] == "assignment_refused"
    assert "presence offline" in refused.body["message"]
    full = await api.request("POST", "/v1/conversations/c-2/assignment", json={"agent_id": "ana"})
    assert full.status == 409 and "at capacity (1/1)" in full.body["message"]
    unknown = await api.request("POST", "/v1/conversations/c-2/assignment", json={"agent_id": "zed"})
    assert unknown.status == 409 and "unknown agent zed" in unknown.body["message"]
    # A team the pack lacks is the caller's typo, not the agent's refusal (it was 409 assignment_refused
    # naming agent_id, as if Ana could not take it).
    typo = await api.request(
        "POST", "/v1/conversations/c-2/assignment", json={"agent_id": "ana", "team": "biling"}
    )
    assert (typo.status, typo.body["error"]) == (422, "invalid_request"), typo.body
    assert [f["field"] for f in typo.body["fields"]] == ["team"] and "billing" in typo.body["message"]
    freed = await api.request("POST", "/v1/conversations/c-1/unassignment", json={})
    assert freed.status == 200, freed.body
    assert "assignee" not in freed.body and "queued" not in freed.body  # an assignment's answer only
    await assigned_to(api, "c-1", None)
    await assigned_to(api, "c-2", "ana")  # the queued conversation takes the freed slot


@contextlib.asynccontextmanager
async def heartbeating(api: ApiClient, agent: str) -> AsyncIterator[None]:
    """The agent's client sends heartbeats well within the test's 1 s timeout until the block ends:
    an agent meant to stay online must not drop to away on a loaded machine before it is assigned."""

    async def beat() -> None:
        while True:
            sent = await api.request("POST", f"/v1/agents/{agent}/heartbeat")
            assert sent.status == 200, sent.body
            await asyncio.sleep(0.2)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_silent_agent_drops_to_away_and_its_conversations_move(
    client: Client, settings: Settings, tenants: dict[str, str], desk_pack: str
) -> None:
    quiet = settings.model_copy(update={"presence_timeout_seconds": 1.0})
    async with build_worker(client, quiet), serve_api(client, quiet, tenants) as api:
        await add_agent(api, "ana")
        async with heartbeating(api, "ana"):
            await api.post_message("c-hb", "m1", "Hello there")
            await assigned_to(api, "c-hb", "ana")

        async def away() -> bool:
            reply = await api.request("GET", "/v1/agents/ana")
            return reply.body["presence"] == "away"

        await add_agent(api, "ben")
        async with heartbeating(api, "ben"):
            await eventually(away, "ana dropped to away after 1 s without a heartbeat")
            await assigned_to(api, "c-hb", "ben")


async def test_a_heartbeat_timeout_a_restart_turned_on_drops_silent_agents_without_a_roster_write(
    client: Client, settings: Settings, tenants: dict[str, str], desk_pack: str
) -> None:
    """The desk keeps the heartbeat timeout of the roster it read last: after a restart that turned
    the timeout on, agents whose client had gone silent stayed online and took conversations until
    someone wrote the roster."""
    off = settings.model_copy(update={"presence_timeout_seconds": 0.0})
    async with build_worker(client, off), serve_api(client, off, tenants) as api:
        await add_agent(api, "ana")
        await api.post_message("c-silent", "m1", "Hello there")
        await assigned_to(api, "c-silent", "ana")
    on = settings.model_copy(update={"presence_timeout_seconds": 1.0})
    async with build_worker(client, on), serve_api(client, on, tenants) as api:

        async def away() -> bool:
            shown = (await api.request("GET", "/v1/agents/ana")).body
            return shown["presence"] == "away" and shown["presence_reason"] == "heartbeat timeout"

        await eventually(away, "ana dropped to away once the restarted worker's timeout applied")


async def test_waiting_survives_a_worker_restart(
    client: Client, settings: Settings, tenants: dict[str, str], desk_pack: str
) -> None:
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        await add_agent(api, "ana", presence="away")
        await api.post_message("c-r", "m1", "Hello there")
        assert await queue(api) == ["c-r"]
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        await api.request("PUT", "/v1/agents/ana/presence", json={"status": "online"})
        await assigned_to(api, "c-r", "ana")
        assert await queue(api) == []


async def test_required_skills_widen_after_the_teams_wait_and_the_trail_says_so(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "ana", teams=["experts"], skills=["lang:en"])
    posted = await api.request(
        "POST",
        "/v1/conversations/c-expert/messages?wait=decided",  # the trail is read right after
        json={
            "message_id": "m1",
            "channel": "chat",
            "language": "de-AT",
            "sender": {"address": "kai@example.com"},
            "text": "Ein Experte bitte: expert",
        },
    )
    assert posted.status == 201, posted.body
    (created,) = [d for d in await trail(api, "c-expert") if d["event"] == "conversation.created"]
    assert "queued in team experts: position 1 of 1" in created["executed"][-1]["detail"]
    assert await queue(api, "experts") == ["c-expert"]
    await assigned_to(api, "c-expert", "ana")  # nobody speaks German: after 0.02 minutes, anyone
    (entry,) = [d for d in await trail(api, "c-expert") if d["event"] == "conversation.assigned"]
    record = entry["assignment"]["assignment"]
    assert record["widened"] is True and record["required_skills"] == ["lang:de"]
    assert record["strategy"] == "skills"


async def desk_timers(client: Client, tenant: str) -> list[tuple[str, float]]:
    """The desk's timer events across its runs, in order: ("started", seconds) and ("fired", 0)."""
    out: list[tuple[str, float]] = []
    async for run in client.list_workflows(f"WorkflowId = '{desk_workflow_id(tenant)}'"):
        history = await client.get_workflow_handle(run.id, run_id=run.run_id).fetch_history()
        for event in history.events:
            if event.HasField("timer_started_event_attributes"):
                timeout = event.timer_started_event_attributes.start_to_fire_timeout
                out.append(("started", timeout.seconds + timeout.nanos / 1e9))
            elif event.HasField("timer_fired_event_attributes"):
                out.append(("fired", 0.0))
    return out


async def test_a_widened_conversation_waiting_for_a_busy_agent_lets_the_desk_sleep(
    api: ApiClient, client: Client, worker: None, desk_pack: str
) -> None:
    """Widened while its only agent was busy, its past widening instant stayed the desk's next one:
    the desk slept 1 ms and woke again, ~70 workflow tasks a second, for as long as it waited."""
    await add_agent(api, "ana", teams=["experts"], skills=["lang:en"], capacity=1)
    assert (await api.post_message("c-first", "m1", "An expert please: expert", channel="chat")).status == 201
    await assigned_to(api, "c-first", "ana")
    german = {
        "message_id": "m1",
        "channel": "chat",
        "language": "de",
        "sender": {"address": "kai@example.com"},
    }
    posted = await api.request(
        "POST", "/v1/conversations/c-wait/messages", json={**german, "text": "Ein Experte bitte: expert"}
    )
    assert posted.status == 201, posted.body
    tenant = api.tenants["acme"]

    async def widened() -> bool:  # its widening timer fired (after 0.02 minutes)
        return ("fired", 0.0) in await desk_timers(client, tenant)

    await eventually(widened, "the widening instant passed")
    assert await queue(api, "experts") == ["c-wait"]  # ana is busy: it waits, widened
    timers = await desk_timers(client, tenant)
    after = timers[timers.index(("fired", 0.0)) + 1 :]
    assert [t for t in after if t[0] == "started" and t[1] < 1] == [], after
    released = await api.request("POST", "/v1/conversations/c-first/status", json={"status": "closed"})
    assert released.status == 200
    await assigned_to(api, "c-wait", "ana")


async def test_most_spare_weighs_every_channel_of_the_agent(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "ana", capacity={"email": 10, "chat": 2})
    await add_agent(api, "ben", capacity={"email": 4, "chat": 4})
    await api.post_message("inv-chat", "m1", "About my invoice", channel="chat")  # round robin: ana
    await assigned_to(api, "inv-chat", "ana")
    # on email both are at 0 (least loaded could not tell them apart); over all channels ana has
    # 11 of 12 slots free and ben 8 of 8: the rule's most_spare gives it to ben
    await api.post_message("c-spare", "m2", "A spare part, please")
    await assigned_to(api, "c-spare", "ben")
    (entry,) = [d for d in await trail(api, "c-spare") if d["event"] == "conversation.assigned"]
    record = entry["assignment"]["assignment"]
    assert record["strategy"] == "most_spare"
    assert record["reason"] == "most spare capacity: 100% free of 2 eligible"


async def test_round_robin_takes_turns_and_a_removed_agent_s_conversation_moves_on(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    for agent in ("ana", "ben", "cy"):
        await add_agent(api, agent)
    for n in range(4):
        await api.post_message(f"inv-{n}", f"m{n}", "About my invoice")  # the billing team: round robin
    turns = [await assignee(api, f"inv-{n}") for n in range(4)]
    assert turns == ["ana", "ben", "cy", "ana"]
    removed = await api.request("DELETE", "/v1/agents/ben")
    assert removed.status in (200, 204), removed.body
    await assigned_to(api, "inv-1", "cy")  # the next in turn after ben's removal
    events = [d["event"] for d in await trail(api, "inv-1")]
    assert events.count("conversation.unassigned") == 1


async def test_publishing_a_pack_that_names_an_agent_the_roster_lacks_is_refused(
    api: ApiClient, settings: Settings, desk_pack: str
) -> None:
    pack = (TEST_PACKS / "desk" / "pack.yaml").read_text()
    added = pack.count("\n  - id: ")  # the rule below is the pack's next
    pack += """
  - id: vip-to-ana
    on: [conversation.created]
    if: {"==": [{"var": "customer.tier"}, "vip"]}
    then:
      - assign: {strategy: agent, agent: ana}
tests:
  - name: a VIP is assigned to ana
    event: conversation.created
    context:
      customer: {tier: vip}
    expect:
      matched: [route-support, vip-to-ana]
"""
    await add_agent(api, "ben")  # a tenant with a roster: the names are checked against it
    refused = await api.request("POST", "/v1/rules/publish", json={"pack": pack})
    assert refused.status == 422, refused.body
    (field,) = refused.body["fields"]
    assert field["field"] == f"pack.rules[{added}].then[0].assign.agent"
    assert "agent 'ana' is not in tenant" in field["message"]
    await add_agent(api, "ana")
    published = await api.request("POST", "/v1/rules/publish", json={"pack": pack})
    assert published.status == 201, published.body


async def _answered_by_its_agent(api: ApiClient, conversation: str) -> str:
    """A conversation assigned and answered (so no unanswered timer runs): its agent."""
    await api.post_message(conversation, f"{conversation}-m1", "Hello there")

    async def seated() -> bool:
        return await assignee(api, conversation) is not None

    await eventually(seated, f"{conversation} assigned")
    agent = await assignee(api, conversation)
    assert agent is not None
    body = {"agent_id": agent, "text": "On it", "message_id": f"{conversation}-r1"}
    replied = await api.request("POST", f"/v1/conversations/{conversation}/replies", json=body)
    assert replied.status == 200, replied.body
    return agent


async def test_a_manually_assigned_conversation_whose_agent_went_away_goes_to_a_free_colleague(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    """Requeued, its request still named the agent who went away: it waited for them beside a free
    colleague (the trail: strategy agent, "named agent ana ...")."""
    await add_agent(api, "ana")
    await add_agent(api, "ben")
    first = await _answered_by_its_agent(api, "c-named")
    other = "ben" if first == "ana" else "ana"
    moved = await api.request("POST", "/v1/conversations/c-named/assignment", json={"agent_id": other})
    assert moved.status == 200, moved.body
    await assigned_to(api, "c-named", other)
    await api.request("PUT", f"/v1/agents/{other}/presence", json={"status": "away"})
    await assigned_to(api, "c-named", first)
    last = [d for d in await trail(api, "c-named") if d["event"] == "conversation.assigned"][-1]
    assert last["assignment"]["assignment"]["strategy"] == "least_loaded"


async def test_a_solved_conversation_whose_agent_went_away_waits_for_the_customer_not_a_colleague(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    """It was handed to a colleague (a seat of their capacity, `conversation.assigned` to rules and
    subscribers) and listed in the team's queue, for a ticket already done."""
    await add_agent(api, "ana")
    await add_agent(api, "ben")
    first = await _answered_by_its_agent(api, "c-done")
    other = "ben" if first == "ana" else "ana"
    solved = await api.request("POST", "/v1/conversations/c-done/status", json={"status": "solved"})
    assert solved.status == 200, solved.body
    await api.request("PUT", f"/v1/agents/{first}/presence", json={"status": "away"})

    async def unassigned() -> bool:
        return "conversation.unassigned" in [d["event"] for d in await trail(api, "c-done")]

    await eventually(unassigned, "c-done unassigned")
    # The desk unseated and served in one step: what it holds now is what it decided.
    assert await loads(api) == {"ana": 0, "ben": 0} and await queue(api) == []
    assert (await state(api, "c-done"))["assignee"] is None
    await api.post_message("c-done", "c-done-m2", "It broke again")  # reopened within the window
    await assigned_to(api, "c-done", other)


async def test_a_tenant_with_a_roster_answers_as_its_agents_only_and_says_something(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    """A reply as "zorro" (no such agent), and one of spaces, went out to the customer and counted as
    the first response."""
    await add_agent(api, "ana")
    await add_agent(api, "ben", presence="offline")
    await api.post_message("c-who", "m1", "Hello there")
    path = "/v1/conversations/c-who/replies"
    for body, field, problem in (
        ({"agent_id": "zorro", "text": "Hi"}, "agent_id", "zorro is not an agent of this tenant's roster"),
        ({"agent_id": "ana", "text": " \n\t "}, "text", "must say something: it is only whitespace"),
    ):
        refused = await api.request("POST", path, json={**body, "message_id": "r-1"})
        assert refused.status == 422, refused.body
        (named,) = refused.body["fields"]
        assert named["field"] == field and problem in named["message"], refused.body
    assert (await state(api, "c-who"))["agent_messages"] == 0
    answered = await api.request("POST", path, json={"agent_id": "ana", "text": "Hi", "message_id": "r-1"})
    assert answered.status == 200, answered.body
    # Ana leaves; her client's retry of the reply it sent is the repeat it is, not a refusal.
    assert (await api.request("DELETE", "/v1/agents/ana")).status in (200, 204)
    again = await api.request("POST", path, json={"agent_id": "ana", "text": "Hi", "message_id": "r-1"})
    assert again.status == 200 and again.body["duplicate"] is True, again.body
    new = await api.request("POST", path, json={"agent_id": "ana", "text": "Hi", "message_id": "r-2"})
    assert new.status == 422, new.body


async def test_the_conversations_nobody_holds_are_listed_apart(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    """An unassigned conversation is in no queue, has no owner and no unanswered timer: nothing could
    list it (`?assignee=` is 422, an empty id being no id)."""
    await add_agent(api, "ana")
    await api.post_message("c-held", "m1", "Hello there")
    await api.post_message("c-loose", "m2", "Hello there")
    await assigned_to(api, "c-held", "ana")
    await assigned_to(api, "c-loose", "ana")
    freed = await api.request("POST", "/v1/conversations/c-loose/unassignment", json={})
    assert freed.status == 200, freed.body

    async def listed(assigned: str) -> list[str]:
        found = await api.request("GET", f"/v1/conversations?status=open&assigned={assigned}")
        assert found.status == 200, found.body
        return sorted(c["conversation_id"] for c in found.body["conversations"])

    async def apart() -> bool:
        return await listed("false") == ["c-loose"] and await listed("true") == ["c-held"]

    await eventually(apart, "the unassigned conversation listed apart")
    bad = await api.request("GET", "/v1/conversations?assigned=nobody")
    assert bad.status == 422 and bad.body["fields"][0]["field"] == "assigned", bad.body


async def test_the_kpis_report_a_reassigned_conversation_under_the_agent_who_holds_it(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    """Reassigned by the desk (its agent away), the conversation stayed in the first agent's backlog
    in `GET /v1/kpis?group_by=agent`: a thread's agent was who held it at the last message or reply."""
    await add_agent(api, "ana")
    first = await _answered_by_its_agent(api, "c-kpi")
    await add_agent(api, "ben")
    await api.request("PUT", f"/v1/agents/{first}/presence", json={"status": "away"})
    await assigned_to(api, "c-kpi", "ben")

    async def backlog_of() -> dict[str, list[str]]:
        report = await api.request("GET", "/v1/kpis?group_by=agent")
        assert report.status == 200, report.body
        return {r["group"]["agent"]: r["metrics"]["backlog"]["conversations"] for r in report.body["rows"]}

    async def held_by_ben() -> bool:
        return (await backlog_of()).get("ben") == ["c-kpi"]

    await eventually(held_by_ben, "c-kpi in ben's backlog")
    assert "c-kpi" not in (await backlog_of()).get(first, [])
    freed = await api.request("POST", "/v1/conversations/c-kpi/unassignment", json={})
    assert freed.status == 200, freed.body

    async def held_by_nobody() -> bool:  # unassigned: under the agent who replied last (docs/kpis.md)
        return (await backlog_of()).get(first) == ["c-kpi"]

    await eventually(held_by_nobody, "c-kpi back under the agent who replied")


async def test_a_conversation_nobody_waits_on_stops_its_assignee_s_unanswered_timer(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    """The timer ran on through a status change: a solved conversation timed out and went to a
    colleague (or back to the queue), a pending one from agent to agent every `unanswered_minutes`.
    Now pending, on hold and solved stop it, and open again starts it while the customer waits."""
    await add_agent(api, "ana")
    for name, status in (("c-pending", "pending"), ("c-solved", "solved"), ("c-held", "on_hold")):
        await api.post_message(name, f"{name}-m1", "Hello there")
        await assigned_to(api, name, "ana")
        changed = await api.request("POST", f"/v1/conversations/{name}/status", json={"status": status})
        assert changed.status == 200, changed.body
    # A conversation assigned after them times out after them: once it moved, theirs would have.
    await api.post_message("c-probe", "c-probe-m1", "Hello there")
    await assigned_to(api, "c-probe", "ana")
    await add_agent(api, "ben")
    await assigned_to(api, "c-probe", "ben")
    for name in ("c-pending", "c-solved", "c-held"):
        events = [d["event"] for d in await trail(api, name)]
        assert "assignment.timeout" not in events and await assignee(api, name) == "ana", (name, events)
    reopened = await api.request("POST", "/v1/conversations/c-held/status", json={"status": "open"})
    assert reopened.status == 200, reopened.body
    await assigned_to(api, "c-held", "ben")  # the customer still waits: the timer runs again
