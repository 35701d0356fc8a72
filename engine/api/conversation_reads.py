"""Conversation read routes: one conversation, its threads, its decision trail, and the tenant's list.

Reads are Temporal queries (one per request: a query may cost a worker a replay) and visibility
searches, always inside the caller's tenant (the workflow id carries it).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from temporalio.client import WorkflowExecution, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributeKey

from engine.api.auth import TENANT
from engine.api.conversation_calls import current_state
from engine.api.conversation_views import (
    ConversationList,
    ConversationSummary,
    ConversationView,
    DecisionTrail,
    ThreadList,
)
from engine.api.conversations import CLIENT, call_workflow, external_id, handle_for
from engine.api.errors import TEMPORAL_DOWN, ApiError, check_parameters, invalid_field, named, unavailable
from engine.api.pages import Position, next_link, page_request
from engine.api.schemas import bcp47_cased
from engine.contracts.conversation import ID_PATTERN, Channel, DecisionEntry, Status, external_id_of
from engine.contracts.ids import AGENT_ID_PATTERN, is_agent_id, is_safe_id
from engine.contracts.single_line import is_pack_name
from engine.rules.context import Priority
from engine.rules.pack import MAX_TEAM_NAME
from workflows.conversation import search_attributes as sa
from workflows.conversation.workflow import ConversationWorkflow

log = logging.getLogger("convoflow.api")
routes = web.RouteTableDef()
_THREAD = re.compile(r"[0-9]{1,7}")


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
        has = f"the conversation has {state.thread} thread(s)"
        raise ApiError(404, "thread_not_found", has, named("thread", has))
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
    state = await call_workflow(request, lambda deadline: current_state(handle, deadline), handle)
    return web.json_response(ThreadList.of(state).model_dump(mode="json"))


@routes.get("/v1/conversations/{conversation_id}")
async def get_conversation(request: web.Request) -> web.Response:
    ext_id = external_id(request)
    handle = handle_for(request, ext_id)
    state = await call_workflow(request, lambda deadline: current_state(handle, deadline))
    return web.json_response(ConversationView.of(state).model_dump(mode="json"))


LIST_PARAMETERS = (
    "status",
    "channel",
    "priority",
    "sla_breached",
    "assigned",
    "assignee",
    "language",
    "team",
    "tag",
    "limit",
    "cursor",
)


@routes.get("/v1/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    """One page of the tenant's conversations, newest first; `next` continues after its last row.

    A parameter it does not know (a typo: `?chanel=sms`) or a filter given twice (`?channel=sms&
    channel=chat`) is a 422 naming it: both were ignored, and the answer looked like a filtered one."""
    check_parameters(request, LIST_PARAMETERS)
    found, after = await conversation_summaries(request, request.query)
    return web.json_response(ConversationList(conversations=found, next=after).model_dump(mode="json"))


async def conversation_summaries(
    request: web.Request, query: Mapping[str, str]
) -> tuple[list[ConversationSummary], str | None]:
    """A page of the tenant's conversations (`query`: the filters of `conversation_page`; the request
    the page's `limit` and `cursor`) and the link to the next one, if there may be more: the API's
    list and the console's (which stopped at 100 rows, saying nothing of the rest)."""
    page = page_request(request, position_length=4)
    found, last = await conversation_page(request, query, page.limit, _position(page.after))
    return found, next_link(request, page, last) if last is not None else None


async def conversation_page(
    request: web.Request, query: Mapping[str, str], limit: int, after: Position | None
) -> tuple[list[ConversationSummary], Position | None]:
    """Up to `limit` conversations of the caller's tenant after the keyset position `after`, filtered
    by search attributes (`query`: status, channel, priority, sla_breached, team, assignee, assigned,
    tag, language); and the position of the last row read, when there may be more.

    Temporal's SQL visibility has no ORDER BY: it lists running executions first, newest StartTime
    first (ties by RunId), then ended ones by CloseTime, newest first. The keyset follows that order,
    in the visibility query itself: first the running phase on (StartTime, RunId), then the ended
    phase on (CloseTime, StartTime, RunId). A conversation started after the first page is newer
    than its cursor, so it never shifts a later page. A conversation is one workflow id: a run that
    continued as new is history, not a row; an ended run of a conversation that has a newer run
    (runs that completed before threads existed) is folded into that newest run.
    """
    try:
        return await _page(request, _filters(request, query), limit, after)
    except TEMPORAL_DOWN as exc:
        log.warning("conversation list: Temporal did not answer (%s)", type(exc).__name__)
        raise unavailable("temporal_unavailable", "Temporal did not answer; retry") from None


async def _page(
    request: web.Request, base: list[str], limit: int, after: Position | None
) -> tuple[list[ConversationSummary], Position | None]:
    """One row past the page is read in each phase: a page that ends the list says so (`next`
    linked a full last page to an empty one)."""
    phase, rest = (after[0], after[1:]) if after else (RUNNING, None)
    rows: list[WorkflowExecution] = []
    if phase == RUNNING:
        window = [*base, "ExecutionStatus = 'Running'", *_after_running(rest)]
        rows = [wf async for wf in request.app[CLIENT].list_workflows(" AND ".join(window), limit=limit + 1)]
        if len(rows) > limit:
            return await _summaries(request, base, rows[:limit]), _position_of(rows[limit - 1])
        rest = None
    window = [*base, "ExecutionStatus != 'Running'", *_after_ended(rest)]
    wanted = limit - len(rows)
    ended = [wf async for wf in request.app[CLIENT].list_workflows(" AND ".join(window), limit=wanted + 1)]
    rows += ended[:wanted]
    # A running row may end the page (the ended ones begin on the next): its position says so.
    last = _position_of(rows[-1]) if len(ended) > wanted else None
    return await _summaries(request, base, rows), last


RUNNING, ENDED = "running", "ended"


def _filters(request: web.Request, query: Mapping[str, str]) -> list[str]:
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
    # The conversations nobody holds (an unassignment leaves one in no queue): every helpdesk's
    # "Unassigned" view. `assignee=` could not say it (an empty id is no id).
    assigned = query.get("assigned")
    if assigned is not None and assigned not in ("true", "false"):
        raise invalid_field("assigned", "one of true, false", f"unknown assigned {assigned!r}")
    if assigned is not None:
        clauses.append(f"{sa.ASSIGNEE.name} IS {'NOT ' if assigned == 'true' else ''}NULL")
    # An agent's id and a language are ids; a pack names its teams and tags as it likes ("Tier 2",
    # "Süd"): any such name, quoted, but no quote or backslash, which would end or escape the string.
    pack_name = f"a pack's name: 1-{MAX_TEAM_NAME} characters of one line, no quotes"
    for param, key, fits, expected in (
        ("assignee", sa.ASSIGNEE, is_agent_id, f"must match {AGENT_ID_PATTERN}"),
        ("language", sa.LANGUAGE, is_safe_id, f"must match {ID_PATTERN}"),
        ("team", sa.TEAM, is_pack_name, pack_name),
        ("tag", sa.TAGS, is_pack_name, pack_name),
    ):
        value = query.get(param)
        if param == "language" and value is not None:  # `DE`, `fr_CA`: as a message's tag is kept
            value = str(bcp47_cased(value))
        if value is not None and not fits(value):
            raise invalid_field(param, expected)
        if param == "language" and value is not None and "-" not in value:
            # `de` finds the customers a channel declared `de-CH` or `de-AT` too: a lead asking for
            # German means them all (the value is an id: no quote can end the string early).
            clauses.append(f"({key.name} = '{value}' OR {key.name} STARTS_WITH '{value}-')")
        elif value is not None:
            clauses.append(f"{key.name} = '{value}'")
    return clauses


def _after_running(rest: Position | None) -> list[str]:
    if rest is None:
        return []
    _, start, run = rest
    return [f"(StartTime < '{start}' OR (StartTime = '{start}' AND RunId > '{run}'))"]


def _after_ended(rest: Position | None) -> list[str]:
    if rest is None:
        return []
    close, start, run = rest
    return [
        f"(CloseTime < '{close}' OR (CloseTime = '{close}' AND (StartTime < '{start}' "
        f"OR (StartTime = '{start}' AND RunId > '{run}'))))"
    ]


def _position_of(wf: WorkflowExecution) -> Position:
    if wf.status == WorkflowExecutionStatus.RUNNING or wf.close_time is None:
        return [RUNNING, "", _instant(wf.start_time), wf.run_id]
    return [ENDED, _instant(wf.close_time), _instant(wf.start_time), wf.run_id]


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _position(after: Position | None) -> Position | None:
    """The cursor's position, every value checked (and rewritten) before it enters a query."""
    if after is None:
        return None
    bad = invalid_field("cursor", "not a cursor of this listing (take `next` as it is)")
    phase, close, start, run = after
    try:
        checked = [
            "" if phase == RUNNING else _instant(datetime.fromisoformat(close)),
            _instant(datetime.fromisoformat(start)),
            str(uuid.UUID(run)),
        ]
    except ValueError:
        raise bad from None
    if phase not in (RUNNING, ENDED) or (phase == RUNNING and close != ""):
        raise bad
    return [phase, *checked]


async def _summaries(
    request: web.Request, base: list[str], rows: list[WorkflowExecution]
) -> list[ConversationSummary]:
    heads = await _head_runs(
        request, base, [wf for wf in rows if wf.status != WorkflowExecutionStatus.RUNNING]
    )
    found = []
    for wf in rows:
        if wf.status != WorkflowExecutionStatus.RUNNING and heads.get(wf.id) != wf.run_id:
            continue
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


async def _head_runs(request: web.Request, base: list[str], ended: list[WorkflowExecution]) -> dict[str, str]:
    """Each ended row's conversation's newest run (visibility lists it first), by workflow id."""
    if not ended:
        return {}
    ids = ", ".join(f"'{wf.id}'" for wf in {wf.id: wf for wf in ended}.values())
    query = " AND ".join([*base[:3], f"WorkflowId IN ({ids})"])
    heads: dict[str, str] = {}
    async for wf in request.app[CLIENT].list_workflows(query):
        heads.setdefault(wf.id, wf.run_id)
    return heads
