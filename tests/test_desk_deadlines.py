"""A queued conversation is served by its SLA deadline as it is now, on the real Temporal server.

The desk served its queue by the deadline a request said when it asked: a rule that applied a
faster policy left the conversation behind ones due hours later, and a breach, which gave way to
the next running deadline, moved an overdue conversation behind ones still in time (patch
`the-desk-hears-each-new-sla-deadline`). The agent is away throughout, so nothing is seated and no
unanswered timer moves anyone.
"""

from __future__ import annotations

from tests.api_client import ApiClient, trail
from tests.polling import eventually
from tests.test_assignment_desk import add_agent, assigned_to, desk_pack, queue
from tests.test_lifecycle import state

__all__ = ["desk_pack"]  # the fixture, from the desk's tests


async def test_a_queued_conversation_whose_sla_deadline_moves_up_is_served_first(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    # The desk served its queue by the deadline a request said when it asked: c3, given a faster
    # policy by a rule once its customer turned out a VIP, stayed behind c2 (due hours later) and
    # the agent back online took c2. (Away until then: no seat, so no unanswered timer moves anyone.)
    await add_agent(api, "solo", capacity=1, presence="away")
    for n in (2, 3):
        await api.post_message(f"c{n}", f"m{n}", "Hello, a question about a deadline")
    assert await queue(api) == ["c2", "c3"]
    await api.post_message("c3", "m3-again", "I am a vip customer")
    assert (await state(api, "c3"))["sla"]["policy"] == "fast"
    assert await queue(api) == ["c3", "c2"]
    online = await api.request("PUT", "/v1/agents/solo/presence", json={"status": "online"})
    assert online.status == 200, online.body
    await assigned_to(api, "c3", "solo")


async def test_a_queued_conversation_keeps_its_place_once_its_first_response_breaches(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    # Its first response breached, c3's earliest running deadline is its resolution, days away; it
    # is overdue, so it stays ahead of c2, whose first response is hours away.
    await add_agent(api, "solo", capacity=1, presence="away")
    await api.post_message("c2", "m2", "Hello, a question about a deadline")
    await api.post_message("c3", "m3", "Hello, my order is overdue")
    assert await queue(api) == ["c3", "c2"]

    async def breached() -> bool:
        return any(d["event"] == "sla.breached" for d in await trail(api, "c3"))

    await eventually(breached, "c3's first response breached")
    await api.post_message("c3", "m3-again", "any news?")  # its handling tells the desk what moved
    assert await queue(api) == ["c3", "c2"]
    entries = (await api.request("GET", "/v1/teams/support/queue")).body["entries"]
    assert entries[0]["breach_at"] < entries[1]["breach_at"]


async def test_a_breach_a_new_policy_replaced_still_keeps_the_conversation_s_place(
    api: ApiClient, worker: None, desk_pack: str
) -> None:
    # Both breached; c1 first. A faster policy for c1 replaces its breached clock with a new one
    # minutes away: the earlier breach still counts, so c1 stays ahead of c2, breached after it.
    await add_agent(api, "solo", capacity=1, presence="away")
    for n in (1, 2):
        await api.post_message(f"c{n}", f"m{n}", "Hello, my order is overdue")

    async def both_breached() -> bool:
        trails = [await trail(api, f"c{n}") for n in (1, 2)]
        return all(any(d["event"] == "sla.breached" for d in t) for t in trails)

    await eventually(both_breached, "both first responses breached")
    await api.post_message("c1", "m1-again", "I am a vip customer")
    assert (await state(api, "c1"))["sla"]["policy"] == "fast"
    assert await queue(api) == ["c1", "c2"]
