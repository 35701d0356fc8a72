"""A tenant's recorded decisions over a period, read from Temporal, counted per rule (traffic coverage).

Where the counts come from, and why: every decision record (which rules matched, which did not) is
in the conversation's decision trail, the workflow state behind `GET .../decisions`. The KPI facts
table, the one projection of conversations already in the database, does not carry rule ids, and
has facts only for some events (no `conversation.idle`, `sla.warning`, ...), so it cannot answer.
Adding rule ids to it would change what the workflow writes and still leave every conversation
recorded before without them. Reading the trails answers for every conversation there is, at the
cost of one query per run; that cost is bounded here, not paid by every conversation:

- visibility lists only the tenant's conversation runs that started before the period's end and
  whose last activity is at or after its start (a conversation that did nothing in the period is
  never asked), the most recently started first;
- at most `period.conversations` conversations are read (the report says when there were more);
- eight queries at a time, each with the audit export's timeout; a run that does not answer is
  counted as unanswered and left out rather than failing the report.

Every run of a conversation is asked because each carries only the newest records of the one before
(workflows/conversation/core.py CARRIED_TRAIL_BYTES), which the counting takes once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from engine.contracts.conversation import DecisionEntry
from engine.rules.coverage.period import TrafficPeriod
from engine.rules.coverage.traffic import TrafficCoverage, traffic_coverage
from engine.service.audit_bundle import CONVERSATION_TYPE, QUERY_SECONDS, _quoted
from workflows.conversation import search_attributes as sa
from workflows.conversation.workflow import ConversationWorkflow

CONCURRENT_QUERIES = 8


def _time(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


async def conversation_runs(
    client: Client, tenant: str, period: TrafficPeriod
) -> tuple[dict[str, list[str]], bool]:
    """Workflow id -> run ids of the tenant's conversations active in the period, at most
    `period.conversations` of them; and whether there were more."""
    query = (
        f"WorkflowType = '{CONVERSATION_TYPE}' AND ConvoTenant = '{_quoted(tenant)}' "
        f"AND StartTime < '{_time(period.end)}' AND {sa.active_since(period.start)}"
    )
    runs: dict[str, list[str]] = {}
    truncated = False
    async for workflow in client.list_workflows(query):
        if workflow.id not in runs and len(runs) >= period.conversations:
            truncated = True  # listing goes on: a chosen conversation's earlier runs come later
            continue
        runs.setdefault(workflow.id, []).append(workflow.run_id)
    return runs, truncated


async def _trail(
    client: Client, workflow_id: str, run_id: str, slots: asyncio.Semaphore
) -> list[DecisionEntry] | None:
    async with slots:
        handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id, run_id=run_id)
        try:
            return await handle.query(
                ConversationWorkflow.decisions, rpc_timeout=timedelta(seconds=QUERY_SECONDS)
            )
        except (WorkflowQueryFailedError, RPCError):
            return None


async def traffic(client: Client, tenant: str, rule_ids: list[str], period: TrafficPeriod) -> TrafficCoverage:
    """Each rule's counts on the tenant's decisions in the period (only this tenant's runs are read)."""
    runs, truncated = await conversation_runs(client, tenant, period)
    slots = asyncio.Semaphore(CONCURRENT_QUERIES)
    asked = [(workflow_id, run_id) for workflow_id, ids in runs.items() for run_id in ids]
    answers = await asyncio.gather(*(_trail(client, w, r, slots) for w, r in asked))
    trails: dict[str, list[DecisionEntry]] = {workflow_id: [] for workflow_id in runs}
    unanswered = 0
    for (workflow_id, _), entries in zip(asked, answers, strict=True):
        if entries is None:
            unanswered += 1
        else:
            trails[workflow_id] += entries

    def count() -> TrafficCoverage:
        return traffic_coverage(rule_ids, trails, start=period.start, end=period.end)

    # Thousands of trails: counted off the event loop, which serves other requests meanwhile.
    coverage = await asyncio.to_thread(count)
    coverage.truncated = truncated
    coverage.unanswered = unanswered
    return coverage
