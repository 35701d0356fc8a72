"""Conversation routes: integrators post events and read state, always inside their own tenant.

The tenant comes from the API key and is part of the workflow id, so one tenant can never address
another's conversation: it simply does not exist for them (404, not 403, so ids do not leak).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from engine.api.active_packs import ACTIVE_PACKS, ActivePacks
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
    EventResponse,
    MessageId,
    PostAssignment,
    PostMessage,
    PostReply,
    PostStatus,
    PostSurvey,
    PostUnassignment,
)
from engine.contracts.conversation import (
    ID_PATTERN,
    AgentReply,
    Assignment,
    AssignmentRelease,
    ConversationStart,
    EventReceipt,
    StatusChange,
    SurveyAnswer,
    conversation_workflow_id,
)
from engine.contracts.ids import is_safe_id
from engine.db.inbound_seen import InboundSeen
from engine.service.config import Settings
from engine.service.metrics import MESSAGES_IN
from workflows.conversation.workflow import ConversationWorkflow

CLIENT = web.AppKey("client", Client)
SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", AsyncEngine)
INBOUND_SEEN = web.AppKey("inbound_seen", InboundSeen)

routes = web.RouteTableDef()
Model = TypeVar("Model", bound=BaseModel)
Result = TypeVar("Result")
# How long past the update timeout a call may run before we cancel it: Temporal normally ends it at
# the deadline it was given; this covers an SDK polling loop that starts one more call.
BACKSTOP_SECONDS = 2.0
IDEMPOTENCY_KEY = "Idempotency-Key"
# `?wait=` of POST .../messages: answer when the message is recorded (default), or once it is decided.
WAIT_FOR = ("recorded", "decided")
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
    except RecursionError:  # brackets nested past the decoder's recursion limit, within the size limit
        raise invalid_field("body", "nested too deeply", "request body is nested too deeply") from None
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
    if not is_safe_id(value):
        raise invalid_field(
            "conversation_id",
            f"must match {ID_PATTERN}",
            "conversation id must be 1-128 characters of letters, digits, '.', '_' or '-'",
        )
    return value


async def call_temporal(
    timeout_seconds: float,
    call: Callable[[timedelta], Awaitable[Result]],
    handle: WorkflowHandle | None = None,
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
    timeout = timeout_seconds
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
        if isinstance(cause, ApplicationError) and cause.type == "AssignmentRefused":
            raise ApiError(409, "assignment_refused", cause.message) from None
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


async def call_workflow(
    request: web.Request, call: Callable[[timedelta], Awaitable[Result]], handle: WorkflowHandle | None = None
) -> Result:
    """`call_temporal` with the app's update timeout."""
    return await call_temporal(request.app[SETTINGS].update_timeout_seconds, call, handle)


async def _has_ended(handle: WorkflowHandle) -> bool:
    try:
        return (await handle.describe()).status != WorkflowExecutionStatus.RUNNING
    except RPCError:
        return False


def handle_for(request: web.Request, ext_id: str):
    return conversation_handle(request.app[CLIENT], request[TENANT], ext_id)


def conversation_handle(client: Client, tenant: str, ext_id: str):
    wf_id = conversation_workflow_id(tenant, ext_id)
    return client.get_workflow_handle_for(ConversationWorkflow.run, wf_id)


@dataclass(frozen=True, kw_only=True)
class Conversations:
    """What delivering to conversations needs, without a request: the API's routes and the worker's
    mailbox connectors (engine/service/mailbox.py) both deliver through it."""

    client: Client
    settings: Settings
    packs: ActivePacks

    @classmethod
    def of(cls, request: web.Request) -> Conversations:
        return cls(
            client=request.app[CLIENT], settings=request.app[SETTINGS], packs=request.app[ACTIVE_PACKS]
        )

    async def call(
        self, call: Callable[[timedelta], Awaitable[Result]], handle: WorkflowHandle | None = None
    ) -> Result:
        return await call_temporal(self.settings.update_timeout_seconds, call, handle)


@routes.post("/v1/conversations/{conversation_id}/messages")
async def post_message(request: web.Request) -> web.Response:
    """A customer message. The first one creates the conversation, atomically (update-with-start).

    The answer comes when the conversation has recorded the message; `?wait=decided` waits until
    its rules ran and its actions were executed (the receipt's status is then after them).
    """
    ext_id = external_id(request)
    decided = wait_for_decision(request)
    body = await read_body(request, PostMessage)
    return await receive_customer_message(request, ext_id, body, decided=decided)


def wait_for_decision(request: web.Request) -> bool:
    """`?wait=`: `recorded` (the default) answers when the message is recorded, `decided` after its rules."""
    wait = request.query.get("wait", "recorded")
    if wait not in WAIT_FOR:
        raise invalid_field("wait", f"must be one of {', '.join(WAIT_FOR)}")
    return wait == "decided"


async def receive_customer_message(
    request: web.Request,
    ext_id: str,
    body: PostMessage,
    threading_note: str | None = None,
    *,
    decided: bool = False,
) -> web.Response:
    """Deliver a customer message to its conversation (see `deliver_customer_message`), as the answer."""
    receipt = await deliver_customer_message(
        Conversations.of(request), request[TENANT], ext_id, body, threading_note, decided=decided
    )
    return web.json_response(
        EventResponse.of(ext_id, receipt).model_dump(mode="json"),
        status=201 if receipt.created else 200,
    )


async def deliver_customer_message(
    conversations: Conversations,
    tenant: str,
    ext_id: str,
    body: PostMessage,
    threading_note: str | None = None,
    *,
    decided: bool = False,
) -> EventReceipt:
    """Deliver a customer message to its conversation, starting the conversation if needed.

    A message for a closed conversation begins its next thread inside the same workflow (the
    workflow decides, so a message racing a close is never refused); new conversations pin the
    rule pack the tenant has active right now (a tenant without one gets the shipped pack).
    `threading_note` (the API's own words, never the caller's) says why a channel's threading was
    not followed; the new conversation's trail records it. `decided`: answer after the rules ran.
    """
    settings = conversations.settings
    message = body.to_message()
    message.threading_note = threading_note
    wf_id = conversation_workflow_id(tenant, ext_id)
    pack_hash = await conversations.packs.hash_for(tenant)
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
    update = ConversationWorkflow.receive_message_decided if decided else ConversationWorkflow.receive_message
    try:
        receipt = await conversations.call(
            lambda deadline: conversations.client.execute_update_with_start_workflow(
                update,
                message,
                start_workflow_operation=start,
                rpc_timeout=deadline,
            ),
        )
    finally:
        _read_start_outcome(start)
    if not receipt.duplicate:
        MESSAGES_IN.labels(tenant, body.channel).inc()
    return receipt


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


@routes.post("/v1/conversations/{conversation_id}/unassignment")
async def post_unassignment(request: web.Request) -> web.Response:
    """Take the agent off the conversation (conversation.unassigned); its desk frees the agent's slot."""
    return await update_conversation(
        request, ConversationWorkflow.unassign, PostUnassignment, AssignmentRelease
    )


@routes.post("/v1/conversations/{conversation_id}/survey")
async def post_survey(request: web.Request) -> web.Response:
    """The customer's answer to the satisfaction survey (rating 1-5)."""
    return await update_conversation(request, ConversationWorkflow.complete_survey, PostSurvey, SurveyAnswer)
