"""End-to-end throughput and CPU: conversations from first message to close, next to a bare Temporal
workflow that runs the same number of activities and local activities, in the same run against the
same dev server. The ratios are the figures.

A third phase measures what the conversation's *calls* cost the server on their own: a bare workflow
(`BareConversation`) taking the same three updates (the first with start, a reply, the close) and
doing nothing else. Its server CPU is a second baseline for the server row, reported without a goal:
convoflow over it is what convoflow's own commands (local activities, timers, search attributes) add.

A fourth phase is the floor of the API's shape (`ShapedConversation`): the same three calls, the
first message answered when recorded and handled after a 1 ms timer, and each call's share of the
same local activities, with nothing of convoflow's. Convoflow over it is what its own work costs
(rules, records, state, search attributes, the codec); its own ratio to the bare workflow is what
the shape costs, which no implementation behind this API saves.

The convoflow worker and the bare worker run in processes of their own (bench/stack.py), both alive
throughout; the bench process is only the client. Each phase (convoflow, then bare) reads the CPU
time (user + system) of the dev server and of that phase's worker before and after, so a phase's
CPU per conversation is its own worker's and the server's, the idle worker's polls (a few ms/s) being
in both phases alike.

    python -m bench lifecycle            # 200 conversations
    BENCH_CONVERSATIONS=500 python -m bench lifecycle
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from bench import stack
from bench.bare_workflow import BareConversation, BareWorkflow, ShapedConversation, Shares
from bench.conversations import bare_first_message, first_message, workflow_id
from bench.results import Result
from bench.stats import per_unit_ms
from engine.contracts.conversation import Status
from engine.contracts.helpdesk_actions import AgentReply, StatusChange
from engine.service.config import Settings
from engine.service.temporal_client import connect
from workflows.conversation.workflow import ConversationWorkflow

CONCURRENCY = 50
BARE_QUEUE = "bare"


async def one_conversation(
    client: Client, settings: Settings, pack_hash: str, n: int, *, decided: bool = False
) -> str:
    name = f"{n}-{uuid.uuid4().hex[:6]}"
    await first_message(client, settings, pack_hash, name, decided=decided)
    wf_id = workflow_id(name)
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, wf_id)
    await handle.execute_update(
        ConversationWorkflow.post_reply, AgentReply(agent_id="a", text="Fixed.", message_id="r-1")
    )
    # The close is handled when its update returns; the workflow then waits for a next thread.
    closed = await handle.execute_update(
        ConversationWorkflow.change_status, StatusChange(status=Status.CLOSED)
    )
    assert closed.status == Status.CLOSED
    return wf_id


async def same_calls(client: Client, n: int) -> None:
    """A conversation's three calls on a workflow that does nothing else: the server's share of them."""
    handle = await bare_first_message(client, f"calls-{n}-{uuid.uuid4().hex[:6]}", BARE_QUEUE)
    await handle.execute_update(BareConversation.receive, "reply")
    await handle.execute_update(BareConversation.close_now)


async def shaped_calls(client: Client, shares: Shares, n: int) -> None:
    """A conversation's three calls on `ShapedConversation`, which runs the same local activities."""
    start = WithStartWorkflowOperation(
        ShapedConversation.run,
        shares,
        id=f"shaped-{n}-{uuid.uuid4().hex[:6]}",
        task_queue=BARE_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(
        ShapedConversation.receive, "hello", start_workflow_operation=start
    )
    handle = await start.workflow_handle()
    await handle.execute_update(ShapedConversation.reply, "reply")
    await handle.execute_update(ShapedConversation.close_now)


async def gather_bounded(
    make: Callable[[int], Awaitable[object]], count: int, concurrency: int = CONCURRENCY
) -> float:
    """Seconds to run make(0..count-1) with `concurrency` in flight."""
    semaphore = asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> None:
        async with semaphore:
            await make(i)

    started = time.perf_counter()
    await asyncio.gather(*(bounded(i) for i in range(count)))
    return time.perf_counter() - started


async def count_activities(client: Client, wf_id: str) -> tuple[int, int]:
    history = await client.get_workflow_handle(wf_id).fetch_history()
    kinds = [e.WhichOneof("attributes") for e in history.events]
    return (
        kinds.count("activity_task_scheduled_event_attributes"),
        kinds.count("marker_recorded_event_attributes"),
    )


async def shares_by_call(client: Client, wf_id: str) -> Shares:
    """The markers (local activities, the patch marker) of a conversation opened with its first
    message handled inside the update, split by call: up to the reply's update, with it, with the
    close's. (Answered when recorded, a reply that comes while the message waits for its timer
    handles it, and the split would move between runs.)"""
    history = await client.get_workflow_handle(wf_id).fetch_history()
    shares = [0]
    for event in history.events:
        kind = event.WhichOneof("attributes")
        if kind == "workflow_execution_update_accepted_event_attributes":
            shares.append(0)
        elif kind == "marker_recorded_event_attributes":
            shares[-1] += 1
    if len(shares) != 4:
        raise RuntimeError(f"the sample conversation took {len(shares) - 1} updates, not 3")
    return Shares(handling=shares[0] + shares[1], reply=shares[2], close=shares[3])


async def run(count: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        async with stack.dev_server() as server:
            settings = stack.bench_settings(server, Path(tmp))
            pack_hash = await stack.prepare(settings)
            client = await connect(settings)
            bare_client = await Client.connect(server.address)
            with (
                stack.child(stack.convoflow_worker, settings) as worker,
                stack.child(stack.bare_worker, server.address, BARE_QUEUE) as bare,
            ):
                temporal = stack.server_process(server)

                def bare_run(i: int) -> Awaitable[int]:
                    return bare_client.execute_workflow(
                        BareWorkflow.run,
                        [activities, markers],
                        id=f"bare-{i}-{uuid.uuid4().hex[:6]}",
                        task_queue=BARE_QUEUE,
                    )

                sample = await one_conversation(client, settings, pack_hash, -1)  # warm-up; the shape to copy
                activities, markers = await count_activities(client, sample)
                shares = await shares_by_call(
                    client, await one_conversation(client, settings, pack_hash, -2, decided=True)
                )
                if shares.handling + shares.reply + shares.close != markers:
                    raise RuntimeError(f"{shares} do not add up to the sample's {markers} markers")
                await bare_run(-1)
                before = stack.cpu({"worker": worker, "server": temporal})
                convo_s = await gather_bounded(
                    lambda i: one_conversation(client, settings, pack_hash, i), count
                )
                convo_cpu = per_unit_ms(
                    stack.cpu({"worker": worker, "server": temporal}).minus(before), count
                )
                before = stack.cpu({"worker": bare, "server": temporal})
                bare_s = await gather_bounded(bare_run, count)
                bare_cpu = per_unit_ms(stack.cpu({"worker": bare, "server": temporal}).minus(before), count)
                await same_calls(bare_client, -1)
                before = stack.cpu({"worker": bare, "server": temporal})
                calls_s = await gather_bounded(lambda i: same_calls(bare_client, i), count)
                calls_cpu = per_unit_ms(stack.cpu({"worker": bare, "server": temporal}).minus(before), count)
                await shaped_calls(bare_client, shares, -1)
                before = stack.cpu({"worker": bare, "server": temporal})
                shaped_s = await gather_bounded(lambda i: shaped_calls(bare_client, shares, i), count)
                shaped_cpu = per_unit_ms(stack.cpu({"worker": bare, "server": temporal}).minus(before), count)
    print(
        f"one conversation = {activities} activities + {markers} local activities "
        f"(pack, decisions, business time); {CONCURRENCY} in flight"
    )
    print(f"conversations, first message -> close: {count / convo_s:8.1f}/s ({count} in {convo_s:.1f} s)")
    print(f"bare workflow, same activities:        {count / bare_s:8.1f}/s ({count} in {bare_s:.1f} s)")
    print(f"bare workflow, same three updates:     {count / calls_s:8.1f}/s ({count} in {calls_s:.1f} s)")
    print(f"the API's shape, same local activities: {count / shaped_s:7.1f}/s ({count} in {shaped_s:.1f} s)")
    for role in ("worker", "server"):
        print(
            f"CPU per conversation, {role}: {convo_cpu[role]:6.1f} ms  (bare {bare_cpu[role]:6.1f} ms, "
            f"same three updates {calls_cpu[role]:6.1f} ms, the API's shape {shaped_cpu[role]:6.1f} ms)"
        )
    name = f"lifecycle: first message to close, {CONCURRENCY} in flight"
    return [
        Result(name, count / convo_s, "conversations/s", count / bare_s, ">= 0.8x"),
        Result("lifecycle: worker CPU per conversation", convo_cpu["worker"], "ms", bare_cpu["worker"]),
        Result(
            "lifecycle: Temporal server CPU per conversation",
            convo_cpu["server"],
            "ms",
            bare_cpu["server"],
            "<= 1.5x",
        ),
        Result(
            "lifecycle: Temporal server CPU per conversation, baseline: the same three updates alone",
            convo_cpu["server"],
            "ms",
            calls_cpu["server"],
        ),
        Result(
            f"{name}, baseline: the API's shape with the same local activities",
            count / convo_s,
            "conversations/s",
            count / shaped_s,
        ),
        Result(
            "lifecycle: worker CPU per conversation, baseline: the API's shape",
            convo_cpu["worker"],
            "ms",
            shaped_cpu["worker"],
        ),
        Result(
            "lifecycle: Temporal server CPU per conversation, baseline: the API's shape",
            convo_cpu["server"],
            "ms",
            shaped_cpu["server"],
        ),
    ]


def main() -> list[Result]:
    return asyncio.run(run(int(os.environ.get("BENCH_CONVERSATIONS", "200"))))


if __name__ == "__main__":
    main()
