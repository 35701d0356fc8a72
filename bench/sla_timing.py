"""SLA timers under measurement: a pack whose first-response deadline is seconds away, and how late
each conversation's breach was recorded.

The pack is legal as any tenant's: a 24/7 calendar and a policy of a fraction of a minute (pack
durations are floats), applied to every new conversation. The exact deadline is the one the
workflow computed and keeps in its state (`breached_at` is set to it); the breach's recorded time
is the `at` of its `sla.breached` decision entry, i.e. `workflow.now()` of the workflow task that
handled the timer. Their difference is how late the breach was recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from temporalio.client import Client

from workflows.conversation.workflow import ConversationWorkflow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def write_pack(directory: Path, first_response_seconds: float) -> Path:
    """A pack directory whose every conversation breaches its first response after the given time."""
    directory.mkdir(parents=True, exist_ok=True)
    hours = ", ".join(f'{day}: [["00:00", "24:00"]]' for day in DAYS)
    minutes = first_response_seconds / 60
    (directory / "pack.yaml").write_text(
        "meta: {name: sla-bench}\n"
        f"calendars:\n  always: {{timezone: UTC, hours: {{{hours}}}}}\n"
        f"sla_policies:\n  fast: {{calendar: always, first_response_minutes: {minutes!r}}}\n"
        "rules:\n  - {id: fast-sla, on: [conversation.created], then: [{apply_sla: fast}]}\n"
    )
    return directory


def breach_delay(deadline: datetime | None, recorded: Sequence[datetime]) -> float | None:
    """Seconds from the exact deadline to the first recorded breach; None while not breached."""
    if deadline is None or not recorded:
        return None
    return (min(recorded) - deadline).total_seconds()


async def delay_of(client: Client, workflow_id: str) -> float | None:
    """How late the first-response breach of one conversation was recorded, if it was yet."""
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id)
    state = await handle.query(ConversationWorkflow.state)
    target = state.sla.targets.get("first_response")
    if target is None or target.breached_at is None:
        return None
    entries = await handle.query(ConversationWorkflow.decisions)
    return breach_delay(target.breached_at, [e.at for e in entries if e.event == "sla.breached"])


async def breach_delays(
    client: Client, workflow_ids: Sequence[str], *, within: float, concurrency: int = 20
) -> dict[str, float]:
    """Each conversation's breach delay in seconds, waiting up to `within` seconds for them all;
    conversations whose breach never came are missing from the answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    semaphore = asyncio.Semaphore(concurrency)
    found: dict[str, float] = {}

    async def check(wf_id: str) -> None:
        async with semaphore:
            delay = await delay_of(client, wf_id)
        if delay is not None:
            found[wf_id] = delay

    while True:
        await asyncio.gather(*(check(w) for w in workflow_ids if w not in found))
        if len(found) == len(workflow_ids) or loop.time() > deadline:
            return found
        await asyncio.sleep(1.0)
