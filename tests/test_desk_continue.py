"""A desk that continues as new right after a roster change still answers the request waiting for it.

Found by `python -m bench assignment`: a request waits for the roster read that a `roster_changed`
asked for; when that signal was the run's last message before continuing as new, the run stopped
its loop without the read, waited for the request forever, and every later request of the tenant
queued up behind it (Temporal's limit of in-flight updates, then 503s from the API). Here the run
takes a single message, and the signal and the request reach it while it reads its first roster
(a desk of its own beside the one the API started when the agent was added).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError

from activities.assignment_desk import tell
from bench.desk_runs import read_desk_runs
from engine.contracts.assignment import (
    DESK_WORKFLOW,
    LOADS_QUERY,
    REQUEST_ASSIGNMENT,
    ROSTER_CHANGED,
    AgentLoad,
    AssignmentOutcome,
    AssignmentRequest,
    DeskLetter,
    DeskStart,
    Release,
    RosterChange,
    StatusReport,
    desk_workflow_id,
)
from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.polling import eventually
from tests.test_assignment_desk import add_agent, desk_pack

__all__ = ["desk_pack"]  # the fixture: the pack whose teams declare the agents' skills


async def test_a_request_waiting_for_a_roster_read_is_answered_across_continue_as_new(
    client: Client,
    settings: Settings,
    api: ApiClient,
    worker: None,
    tenants: dict[str, str],
    desk_pack: str,
) -> None:
    tenant = tenants["acme"]
    await add_agent(api, "ana")
    desk = await client.start_workflow(
        DESK_WORKFLOW,
        DeskStart(tenant=tenant, max_messages=1),
        id=desk_workflow_id(tenant) + ":one-message-runs",  # not the desk the API started
        task_queue=settings.task_queue,
    )
    await desk.signal(ROSTER_CHANGED, RosterChange(agent_id="ana"))
    request = AssignmentRequest(
        request_id="r-1",
        conversation_id=f"conversation:{tenant}:c-1",
        team="support",
        channel="email",
        requested_at=datetime.now(UTC),
        strategy="least_loaded",
    )
    try:
        async with asyncio.timeout(20):
            outcome = await desk.execute_update(REQUEST_ASSIGNMENT, request, result_type=AssignmentOutcome)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise AssertionError("the desk never answered: it stalled before continuing as new") from None
    assert outcome.result == "assigned" and outcome.agent == "ana"
    # ... and its next run carries the seat (the worker stops only once that run has started)
    latest = client.get_workflow_handle(desk.id)

    async def carried() -> bool:
        desk_loads = await latest.query(LOADS_QUERY, result_type=list[AgentLoad])
        return [(a.agent, a.load) for a in desk_loads] == [("ana", 1)]

    await eventually(carried, "the next run holds ana's seat")


async def test_news_reaching_a_desk_as_it_continues_as_new_does_not_make_it_replay_its_run(
    client: Client,
    settings: Settings,
    api: ApiClient,
    worker: None,
    tenants: dict[str, str],
    desk_pack: str,
) -> None:
    """Found by `python -m bench assignment`: a dozen conversations waited 10-16 s for the desk.

    A signal (a conversation's release or status) that reached the desk while it continued as new
    made Temporal refuse the continue-as-new (`UnhandledCommand`). The SDK then evicted the desk and
    replayed its whole run, up to 500 messages (about a second, several on a loaded machine), before
    it answered anyone, and news arriving during that replay refused the next try too. Conversations
    now send their news as updates, which a continue-as-new hands on to the next run. Here six
    conversations at a time ask, report a status and close, on a desk whose runs take four messages.
    """
    tenant = tenants["acme"]
    desk_id = desk_workflow_id(tenant)
    await client.start_workflow(
        DESK_WORKFLOW, DeskStart(tenant=tenant, max_messages=4), id=desk_id, task_queue=settings.task_queue
    )
    await add_agent(api, "ana", capacity=50)

    async def conversation(n: int) -> str:
        conversation_id = f"conversation:{tenant}:c-{n}"
        request = AssignmentRequest(
            request_id=f"r-{n}",
            conversation_id=conversation_id,
            team="support",
            channel="email",
            requested_at=datetime.now(UTC),
            strategy="least_loaded",
        )
        outcome = await client.get_workflow_handle(desk_id).execute_update(
            REQUEST_ASSIGNMENT, request, result_type=AssignmentOutcome
        )
        status = StatusReport(conversation_id=conversation_id, status="pending")
        await tell(client, settings.task_queue, DeskLetter(tenant=tenant, status=status))
        await tell(
            client,
            settings.task_queue,
            DeskLetter(tenant=tenant, release=Release(conversation_id=conversation_id)),
        )
        return outcome.result

    try:
        async with asyncio.timeout(60):
            for wave in range(8):
                results = await asyncio.gather(*(conversation(wave * 6 + k) for k in range(6)))
                assert set(results) == {"assigned"}
    except TimeoutError:
        stalled = await read_desk_runs(client, desk_id)
        raise AssertionError(f"48 conversations not served in a minute; {stalled.describe()}") from None
    runs = await read_desk_runs(client, desk_id)
    assert runs.failed_tasks == {}, runs.describe()
    assert runs.runs >= 10, runs.describe()  # it did continue as new, again and again
    loads = await client.get_workflow_handle(desk_id).query(LOADS_QUERY, result_type=list[AgentLoad])
    assert [(a.agent, a.load) for a in loads] == [("ana", 0)]  # every seat given back
