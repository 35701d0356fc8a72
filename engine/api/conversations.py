"""Conversation routes: integrators post events and read state, always inside their own tenant.

The tenant comes from the API key and is part of the workflow id, so one tenant can never address
another's conversation: it simply does not exist for them (404, not 403, so ids do not leak).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import SearchAttributeKey, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from engine.api.auth import TENANT
from engine.api.errors import (
    ApiError,
    body_too_large,
    invalid_field,
    malformed_json,
    unavailable,
    validation_error,
)
from engine.api.schemas import (
    ConversationList,
    ConversationSummary,
    ConversationView,
    DecisionTrail,
    EventResponse,
    MessageId,
    PostAssignment,
    PostMessage,
    PostReply,
    PostStatus,
    PostSurvey,
    ThreadList,
)
from engine.contracts.conversation import (
    ID_PATTERN,
    AgentReply,
    Assignment,
    Channel,
    ConversationStart,
    DecisionEntry,
    Status,
    StatusChange,
    SurveyAnswer,
    conversation_workflow_id,
    external_id_of,
)
from engine.rules.context import Priority
from engine.service.config import Settings
from engine.service.pack_store import ensure_active_pack
from workflows.conversation import search_attributes as sa
from workflows.conversation.workflow import ConversationWorkflow

CLIENT = web.AppKey("client", Client)
SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", AsyncEngine)

routes = web.RouteTableDef()
Model = TypeVar("Model", bound=BaseModel)
Result = TypeVar("Result")
_ID = re.compile(ID_PATTERN)
_THREAD = re.compile(r"[0-9]{1,7}")
# How long past the update timeout a call may run before we cancel it: Temporal normally ends it at
# the deadline it was given; this covers an SDK polling loop that starts one more call.
BACKSTOP_SECONDS = 2.0
IDEMPOTENCY_KEY = "Idempotency-Key"
_MESSAGE_ID: TypeAdapter[str] = TypeAdapter(MessageId)


async def read_json(request: web.Request, max_bytes: int | None = None) -> dict[str, Any]:
    """The JSON object in the body; over `max_bytes` (default: max_body_bytes) is a 413 naming the limit."""
    limit = max_bytes or request.app[SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise body_too_large(limit)
    raw = await request.read()
    if len(raw) > limit:
        raise body_too_large(limit)
    if not raw:
        raise ApiError(400, "empty_body", "request body is empty", [{"field": "body", "message": "required"}])
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise malformed_json(exc) from None
    except UnicodeDecodeError:
        raise ApiError(
            400, "malformed_json", "request body is not UTF-8", [{"field": "body", "message": "not UTF-8"}]
        ) from None
    if not isinstance(data, dict):
        raise invalid_field("body", "expected an object", "request body must be a JSON object")
    return data


def validated(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


async def read_body(request: web.Request, model: type[Model], max_bytes: int | None = None) -> Model:
    """The validated JSON body (see `read_json` for the size limit)."""
    return validated(model, await read_json(request, max_bytes))


def external_id(request: web.Request) -> str:
    value = request.match_info["conversation_id"]
    if not _ID.match(value):
        raise invalid_field(
            "conversation_id",
            f"must match {ID_PATTERN}",
            "conversation id must be 1-128 characters of letters, digits, '.', '_' or '-'",
        )
    return value


async def call_workflow(
    request: web.Request, call: Callable[[timedelta], Awaitable[Result]], handle: WorkflowHandle | None = None
) -> Result:
    """Run a Temporal call, turning its failures into API errors the caller can act on.

    `call` gets the deadline to pass on as `rpc_timeout`, so Temporal itself gives up in time (a
    clean DEADLINE_EXCEEDED, which the SDK raises as `WorkflowUpdateRPCTimeoutOrCancelledError` for
    updates); `wait_for` is only the backstop for the SDK's polling loops, which may make more than
    one call. A call that no worker answered in time, or that Temporal did not answer, is a 503 with
    `Retry-After`: the event may or may not have reached the conversation, and sending it again is
    safe because events carry their own ids.
    An update sent to a conversation whose workflow has completed comes back as NOT_FOUND; `handle`
    lets us tell that apart from a conversation that never existed.
    """
    timeout = request.app[SETTINGS].update_timeout_seconds
    try:
        return await asyncio.wait_for(call(timedelta(seconds=timeout)), timeout + BACKSTOP_SECONDS)
    except (TimeoutError, RPCTimeoutOrCancelledError):
        raise unavailable(
            "worker_unavailable",
            f"no worker processed the event within {timeout:g}s; retry with the same message_id",
        ) from None
    except WorkflowQueryFailedError:
        # The run could not answer (e.g. Temporal refused the run id): never a 500, never its text.
        raise ApiError(404, "conversation_not_found", "no such run, or it cannot answer") from None
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == "ConversationClosed":
            raise ApiError(409, "conversation_closed", "the conversation is closed") from None
        if isinstance(cause, ApplicationError) and cause.type == "NoSurvey":
            raise ApiError(409, "no_survey", cause.message) from None
        raise ApiError(409, "rejected", str(cause or exc)) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            if handle is not None and await _has_ended(handle):
                raise ApiError(409, "conversation_closed", "the conversation is closed") from None
            raise ApiError(404, "conversation_not_found", "no such conversation") from None
        if exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise unavailable(
                "worker_unavailable",
                f"no worker answered within {timeout:g}s; retry (events with the same message_id)",
            ) from None
        raise unavailable("temporal_unavailable", "Temporal did not answer; retry") from None


async def _has_ended(handle: WorkflowHandle) -> bool:
    try:
        return (await handle.describe()).status != WorkflowExecutionStatus.RUNNING
    except RPCError:
        return False


def handle_for(request: web.Request, ext_id: str):
    wf_id = conversation_workflow_id(request[TENANT], ext_id)
    return request.app[CLIENT].get_workflow_handle_for(ConversationWorkflow.run, wf_id)


@routes.post("/v1/conversations/{conversation_id}/messages")
async def post_message(request: web.Request) -> web.Response:
    """A customer message. The first one creates the conversation, atomically (update-with-start)."""
    ext_id = external_id(request)
    return await receive_customer_message(request, ext_id, await read_body(request, PostMessage))


async def receive_customer_message(request: web.Request, ext_id: str, body: PostMessage) -> web.Response:
    """Deliver a customer message to its conversation, starting the conversation if needed.

    A message for a closed conversation begins its next thread inside the same workflow (the
    workflow decides, so a message racing a close is never refused); new conversations pin the
    rule pack the tenant has active right now (a tenant without one gets the shipped pack).
    """
    tenant = request[TENANT]
    settings = request.app[SETTINGS]
    message = body.to_message()
    wf_id = conversation_workflow_id(tenant, ext_id)
    pack_hash = await ensure_active_pack(request.app[DATABASE], settings, tenant)
    start = WithStartWorkflowOperation(
        ConversationWorkflow.run,
        ConversationStart(
            tenant=tenant,
            external_id=ext_id,
            channel=body.channel,
            customer=message.sender,
            pack_hash=pack_hash,
            max_events_per_run=settings.max_events_per_run,
        ),
        id=wf_id,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    try:
        receipt = await call_workflow(
            request,
            lambda deadline: request.app[CLIENT].execute_update_with_start_workflow(
                ConversationWorkflow.receive_message,
                message,
                start_workflow_operation=start,
                rpc_timeout=deadline,
            ),
        )
    finally:
        _read_start_outcome(start)
    return web.json_response(
        EventResponse.of(ext_id, receipt).model_dump(mode="json"),
        status=201 if receipt.created else 200,
    )


def _read_start_outcome(start: WithStartWorkflowOperation) -> None:
    """Read the start's outcome, which the SDK parks in a future that only `workflow_handle()` awaits.

    When the update fails before Temporal confirmed the start (a timeout), that future holds the
    error, and unread asyncio logs it at ERROR ("Future exception was never retrieved") for every 503.
    """
    parked = start._workflow_handle
    if parked.done() and not parked.cancelled():
        parked.exception()


async def update_conversation(
    request: web.Request,
    update: Any,
    body_model: type[BaseModel],
    event_model: type[BaseModel],
    prepare: Callable[[web.Request, dict[str, Any]], dict[str, Any]] | None = None,
) -> web.Response:
    """Validate the body, send it to the conversation as a Temporal update, answer with the receipt.

    `prepare` may complete the body from the request (headers) before it is validated.
    """
    ext_id = external_id(request)
    data = await read_json(request)
    body = validated(body_model, prepare(request, data) if prepare else data)
    event = event_model.model_validate(body.model_dump())
    handle = handle_for(request, ext_id)
    receipt = await call_workflow(
        request, lambda deadline: handle.execute_update(update, event, rpc_timeout=deadline), handle
    )
    return web.json_response(EventResponse.of(ext_id, receipt).model_dump(mode="json"))


def reply_identity(request: web.Request, data: dict[str, Any]) -> dict[str, Any]:
    """The reply's `message_id`: from the body, or the `Idempotency-Key` header standing in for it.

    Without one a client's retry would be a second reply to the customer, so one is required; when
    both are sent they must agree.
    """
    key = request.headers.get(IDEMPOTENCY_KEY)
    given = data.get("message_id")
    if key is None:
        if given is None:
            raise invalid_field(
                "message_id",
                f"required (or an {IDEMPOTENCY_KEY} header)",
                f"a reply needs a message_id or an {IDEMPOTENCY_KEY} header, so a retry is not sent twice",
            )
        return data
    try:
        _MESSAGE_ID.validate_python(key)
    except ValidationError as exc:
        raise invalid_field(IDEMPOTENCY_KEY, exc.errors(include_url=False)[0]["msg"]) from None
    if given is not None and given != key:
        raise invalid_field(
            "message_id",
            f"differs from the {IDEMPOTENCY_KEY} header",
            f"message_id and the {IDEMPOTENCY_KEY} header name different replies; send one, or the same",
        )
    return {**data, "message_id": key}


@routes.post("/v1/conversations/{conversation_id}/replies")
async def post_reply(request: web.Request) -> web.Response:
    """An agent's reply; it goes out through the conversation's channel, once per message_id."""
    return await update_conversation(
        request, ConversationWorkflow.post_reply, PostReply, AgentReply, prepare=reply_identity
    )


@routes.post("/v1/conversations/{conversation_id}/status")
async def post_status(request: web.Request) -> web.Response:
    return await update_conversation(request, ConversationWorkflow.change_status, PostStatus, StatusChange)


@routes.post("/v1/conversations/{conversation_id}/assignment")
async def post_assignment(request: web.Request) -> web.Response:
    """An agent took the conversation (conversation.assigned); `duplicate` when it already had them."""
    return await update_conversation(request, ConversationWorkflow.assign, PostAssignment, Assignment)


@routes.post("/v1/conversations/{conversation_id}/survey")
async def post_survey(request: web.Request) -> web.Response:
    """The customer's answer to the satisfaction survey (rating 1-5)."""
    return await update_conversation(request, ConversationWorkflow.complete_survey, PostSurvey, SurveyAnswer)


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
    """Conversations of the caller's tenant, one row each, filtered by search attributes.

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
        value = request.query.get(param)
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
        value = request.query.get(param)
        if value is not None and not _ID.match(value):
            raise invalid_field(param, f"must match {ID_PATTERN}")
        if value is not None:
            clauses.append(f"{key.name} = '{value}'")
    try:
        limit = int(request.query.get("limit", "100"))
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
    return web.json_response(ConversationList(conversations=found).model_dump(mode="json"))
