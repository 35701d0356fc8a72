"""A supervisor sends a conversation to a team, naming no agent, on the real Temporal server.

What a team lead would check: the team's strategy chooses among its agents (those who speak the
customer's language when the team declares it), the conversation waits in the team's queue when
nobody is free and is served from it, the agent who had it is freed and the trail says why; a team
nobody can serve, or a typo, is refused naming the team. Before, `POST .../assignment` required an
agent: moving a conversation to billing meant picking a billing agent by hand, or leaving it with
nobody and in no queue.
"""

from __future__ import annotations

from typing import Any

from tests.api_client import ApiClient, trail
from tests.test_assignment_desk import add_agent, assigned_to, desk_pack, loads, post_german, queue
from tests.test_lifecycle import set_status, state

__all__ = ["desk_pack"]  # the fixture, used by name


async def send_to(api: ApiClient, conversation: str, body: dict[str, Any]) -> Any:
    return await api.request("POST", f"/v1/conversations/{conversation}/assignment", json=body)


async def test_a_conversation_sent_to_a_team_goes_to_its_agent_who_speaks_the_customer_s_language(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "bea", teams=["billing"])
    # Ana would win a tie (more room once assigned) but speaks no German; support declares lang:de.
    await add_agent(api, "ana", teams=["support"], skills=["lang:en"], capacity=10)
    await add_agent(api, "ben", teams=["support"], skills=["lang:en", "lang:de"], capacity=2)
    await post_german(api, "c-de", "Eine Frage zur invoice")
    await assigned_to(api, "c-de", "bea")
    moved = await send_to(api, "c-de", {"team": "support"})
    assert moved.status == 200, moved.body
    # the answer says where it went (an integrator could not tell an agent's from the queue's)
    assert (moved.body["assignee"], moved.body["queued"]) == ("ben", False), moved.body
    shown = await state(api, "c-de")
    assert (shown["team"], shown["assignee"]) == ("support", "ben")
    assert await loads(api) == {"ana": 0, "bea": 0, "ben": 1}
    entry = [d for d in await trail(api, "c-de") if d["event"] == "conversation.assigned"][-1]
    record = entry["assignment"]["assignment"]
    assert (record["team"], record["strategy"], record["required_skills"]) == (
        "support",
        "least_loaded",
        ["lang:de"],
    )
    assert {c["agent"]: c["excluded_by"] for c in record["candidates"]}["ana"] == "lacks skills lang:de"
    # A client's retry: in the team with one of its agents already, nothing is asked again (the
    # desk chose afresh, and round robin handed it to the next agent, its rules run twice).
    again = await send_to(api, "c-de", {"team": "support"})
    assert again.status == 200 and again.body["duplicate"] is True, again.body
    assert (await state(api, "c-de"))["assignee"] == "ben"
    assert [d["event"] for d in await trail(api, "c-de")].count("conversation.assigned") == 2  # bea, ben


async def test_a_conversation_sent_to_a_team_nobody_can_serve_now_waits_in_its_queue(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "ana", teams=["support"])
    await add_agent(api, "bea", teams=["billing"], presence="away")
    await api.post_message("c-1", "m1", "Hello there")
    await assigned_to(api, "c-1", "ana")
    moved = await send_to(api, "c-1", {"team": "billing"})
    assert moved.status == 200, moved.body
    assert (moved.body["assignee"], moved.body["queued"]) == (None, True), moved.body
    shown = await state(api, "c-1")
    assert (shown["team"], shown["assignee"]) == ("billing", None)
    assert "was-unassigned" in shown["tags"]  # conversation.unassigned ran the pack's rules
    (unassigned,) = [d for d in await trail(api, "c-1") if d["event"] == "conversation.unassigned"]
    said = "ana unassigned: sent to team billing's queue through the API (queued in team billing: "
    assert unassigned["note"].startswith(said + "position 1 of 1"), unassigned["note"]
    assert await queue(api, "billing") == ["c-1"] and await loads(api) == {"ana": 0, "bea": 0}
    again = await send_to(api, "c-1", {"team": "billing"})  # a client's retry: nothing changes
    assert again.status == 200 and again.body["duplicate"] is True, again.body
    assert again.body["queued"] is True, again.body
    back = await api.request("PUT", "/v1/agents/bea/presence", json={"status": "online"})
    assert back.status == 200, back.body
    await assigned_to(api, "c-1", "bea")
    assert await queue(api, "billing") == []
    # the trail says who gave it to her: the desk serving the queue (explain's cause)
    served = [d for d in await trail(api, "c-1") if d["event"] == "conversation.assigned"][-1]
    assert served["note"] == "the assignment desk served team billing's queue"


async def test_a_conversation_with_nobody_goes_back_to_a_queue_and_bad_teams_are_refused_by_name(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    await add_agent(api, "ana", teams=["support"], capacity=1)
    await api.post_message("c-1", "m1", "Hello there")
    await api.post_message("c-2", "m2", "Hello there")
    assert await queue(api) == ["c-2"]
    out = await api.request("POST", "/v1/conversations/c-2/unassignment", json={})
    assert out.status == 200 and await queue(api) == [], out.body
    back = await send_to(api, "c-2", {"team": "support"})
    assert back.status == 200, back.body
    assert await queue(api) == ["c-2"]
    (queued,) = [d for d in await trail(api, "c-2") if d["event"] == "assignment.queued"]
    assert queued["note"].startswith("sent to team support through the API: queued in team support")
    assert queued["assignment"]["assignment"]["team"] == "support"

    nobody = await send_to(api, "c-2", {})
    assert (nobody.status, [f["field"] for f in nobody.body["fields"]]) == (422, ["agent_id"]), nobody.body
    typo = await send_to(api, "c-2", {"team": "suport"})
    assert (typo.status, [f["field"] for f in typo.body["fields"]]) == (422, ["team"]), typo.body
    assert "support" in typo.body["message"]
    empty = await send_to(api, "c-2", {"team": "experts"})  # in the pack, nobody of the roster in it
    assert (empty.status, empty.body["error"]) == (409, "assignment_refused"), empty.body
    assert [f["field"] for f in empty.body["fields"]] == ["team"]
    assert "no agent of the roster is in team 'experts'" in empty.body["message"]
    assert (await state(api, "c-2"))["team"] == "support" and await queue(api) == ["c-2"]
    # Solved, it waits for its customer: sent to a queue it was listed and served at once.
    await set_status(api, "c-1", "solved")
    solved = await send_to(api, "c-1", {"team": "support"})
    assert (solved.status, solved.body["error"]) == (409, "assignment_refused"), solved.body
    assert [f["field"] for f in solved.body["fields"]] == ["team"] and "solved" in solved.body["message"]
