"""Conversation read routes: one conversation, its threads, its decision trail, and the tenant's list.

Reads are Temporal queries (one per request: a query may cost a worker a replay) and visibility
searches, always inside the caller's tenant (the workflow id carries it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from temporalio.client import WorkflowHandle
from temporalio.common import SearchAttributeKey

from engine.api.auth import TENANT
from engine.api.conversations import CLIENT, call_workflow, external_id, handle_for
from engine.api.errors import ApiError, invalid_field
from engine.api.schemas import (
    ConversationList,
    ConversationSummary,
    ConversationView,
    DecisionTrail,
    ThreadList,
)
from engine.contracts.conversation import ID_PATTERN, Channel, DecisionEntry, Status, external_id_of
from engine.rules.context import Priority
from workflows.conversation import search_attributes as sa
from workflows.conversation.workflow import ConversationWorkflow

routes = web.RouteTableDef()
_THREAD = re.compile(r"[0-9]{1,7}")
_ID = re.compile(ID_PATTERN)


@routes.get("/v1/conversations/{conversation_id}/decisions")
async def get_decisions(request: web.Request) -> web.Response:
    """Why each thing happened: every event's decision record and what was executed.

    `?thread=N` gives one thread's decisions (an earlier thread's come from the run it closed in
    when the current run no longer holds them); `?run_id=R` what one workflow run recorded.
    """
    ext_id = external_id(request)
    handle = handle_for(request, ext_id)
    thread, run_id = _thread_param(request), request.query.get("run_id")
    if run_id is not None:
        run_id = _run_id_param(run_id)
        handle = request.app[CLIENT].get_workflow_handle_for(
            ConversationWorkflow.run, handle.id, run_id=run_id
        )
    if thread is not None:
        entries = await _thread_decisions(request, handle, thread)
    else:
        entries = await call_workflow(
            request,
            lambda deadline: handle.query(ConversationWorkflow.decisions, rpc_timeout=deadline),
            handle,
        )
    return web.json_response(DecisionTrail(conversation_id=ext_id, decisions=entries).model_dump(mode="json"))


def _thread_param(request: web.Request) -> int | None:
    raw = request.query.get("thread")
    if raw is None:
        return None
    if not _THREAD.fullmatch(raw) or int(raw) < 1:
        raise invalid_field("thread", "a thread number from 1", "thread must be a positive integer")
    return int(raw)


def _run_id_param(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise invalid_field("run_id", "a workflow run id (UUID)", "run_id must be a run id") from None


async def _thread_decisions(request: web.Request, handle: WorkflowHandle, thread: int) -> list[DecisionEntry]:
    """One query (the state holds the trail and the threads): a query may cost the worker a replay."""
    state = await call_workflow(
        request, lambda deadline: handle.query(ConversationWorkflow.state, rpc_timeout=deadline), handle
    )
    if thread > state.thread:
        raise ApiError(404, "thread_not_found", f"the conversation has {state.thread} thread(s)")
    mine = [e for e in state.decisions if e.thread == thread]
    summary = next((t for t in state.threads if t.thread == thread), None)
    complete = summary is None or any(e.seq <= max(summary.first_seq, 1) for e in mine)
    if not complete and summary is not None and summary.closed_run_id:
        closed_run: WorkflowHandle[Any, Any] = request.app[CLIENT].get_workflow_handle(
            handle.id, run_id=summary.closed_run_id
        )
        older = await call_workflow(
            request,
            lambda deadline: closed_run.query(ConversationWorkflow.decisions, rpc_timeout=deadline),
            closed_run,
        )
        mine = [e for e in older if e.thread == thread]
    return mine


@routes.get("/v1/conversations/{conversation_id}/threads")
async def get_threads(request: web.Request) -> web.Response:
    """The conversation's threads, oldest first: a customer who writes after a close begins one."""
    ext_id = external_id(request)
    handle = handle_for(request, ext_id)
    state = await call_workflow(
        request, lambda deadline: handle.query(ConversationWorkflow.state, rpc_timeout=deadline), handle
    )
    return web.json_response(ThreadList.of(state).model_dump(mode="json"))


@routes.get("/v1/conversations/{conversation_id}")
async def get_conversation(request: web.Request) -> web.Response:
    ext_id = external_id(request)
    handle = handle_for(request, ext_id)
    state = await call_workflow(
        request, lambda deadline: handle.query(ConversationWorkflow.state, rpc_timeout=deadline)
    )
    return web.json_response(ConversationView.of(state).model_dump(mode="json"))


@routes.get("/v1/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    found = await conversation_summaries(request, request.query)
    return web.json_response(ConversationList(conversations=found).model_dump(mode="json"))


async def conversation_summaries(request: web.Request, query: Mapping[str, str]) -> list[ConversationSummary]:
    """Conversations of the caller's tenant, one row each, filtered by search attributes (`query`:
    status, channel, priority, sla_breached, team, assignee, tag, language, limit).

    A conversation is one workflow id; its runs that continued as new are history, not rows. Runs of a
    conversation that completed before threads existed are folded into its newest (the newest comes
    first: the list is ordered by start time, newest first).
    """
    clauses = [
        "WorkflowType = 'ConversationWorkflow'",
        "ExecutionStatus != 'ContinuedAsNew'",
        f"{sa.TENANT.name} = '{request[TENANT]}'",
    ]
    # Every value is checked against a closed set or the id pattern before it enters the query.
    choices: dict[str, tuple[SearchAttributeKey[Any], list[str]]] = {
        "status": (sa.STATUS, [m.value for m in Status]),
        "channel": (sa.CHANNEL, [m.value for m in Channel]),
        "priority": (sa.PRIORITY, [m.value for m in Priority]),
        "sla_breached": (sa.SLA_BREACHED, ["true", "false"]),
    }
    for param, (key, allowed) in choices.items():
        value = query.get(param)
        if value is not None and value not in allowed:
            raise invalid_field(param, f"one of {', '.join(allowed)}", f"unknown {param} {value!r}")
        if value is not None:
            quoted = value if key is sa.SLA_BREACHED else f"'{value}'"
            clauses.append(f"{key.name} = {quoted}")
    for param, key in (
        ("team", sa.TEAM),
        ("assignee", sa.ASSIGNEE),
        ("tag", sa.TAGS),
        ("language", sa.LANGUAGE),
    ):
        value = query.get(param)
        if value is not None and not _ID.fullmatch(value):
            raise invalid_field(param, f"must match {ID_PATTERN}")
        if value is not None:
            clauses.append(f"{key.name} = '{value}'")
    try:
        limit = int(query.get("limit", "100"))
        if not 1 <= limit <= 1000:
            raise ValueError
    except ValueError:
        raise invalid_field("limit", "integer 1..1000", "limit must be an integer from 1 to 1000") from None
    found = []
    listed: set[str] = set()
    async for wf in request.app[CLIENT].list_workflows(" AND ".join(clauses), limit=limit):
        if wf.id in listed:
            continue
        listed.add(wf.id)
        attrs = wf.typed_search_attributes
        found.append(
            ConversationSummary(
                conversation_id=external_id_of(wf.id),
                channel=attrs.get(sa.CHANNEL),
                status=attrs.get(sa.STATUS),
                priority=attrs.get(sa.PRIORITY),
                team=attrs.get(sa.TEAM),
                assignee=attrs.get(sa.ASSIGNEE),
                tags=list(attrs.get(sa.TAGS) or []),
                sla_breached=attrs.get(sa.SLA_BREACHED),
                created_at=attrs.get(sa.CREATED_AT),
                last_activity_at=attrs.get(sa.LAST_ACTIVITY_AT),
            )
        )
    return found
