"""Conversation routes: integrators post events and read state, always inside their own tenant.

The tenant comes from the API key and is part of the workflow id, so one tenant can never address
another's conversation: it simply does not exist for them (404, not 403, so ids do not leak).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHandle

from engine.api.active_packs import ACTIVE_PACKS
from engine.api.auth import TENANT
from engine.api.conversation_calls import (
    Conversations,
    call_temporal,
    conversation_handle,
    deliver_customer_message,
)
from engine.api.errors import (
    ApiError,
    body_too_large,
    invalid_field,
    named,
    validation_error,
)
from engine.api.json_body import json_object
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
from engine.contracts.conversation import ID_PATTERN
from engine.contracts.helpdesk_actions import (
    AgentReply,
    Assignment,
    AssignmentRelease,
    StatusChange,
    SurveyAnswer,
)
from engine.contracts.ids import is_safe_id
from engine.db.inbound_seen import InboundSeen
from engine.db.roster import RosterStore
from engine.service.config import Settings
from workflows.conversation.workflow import ConversationWorkflow

CLIENT = web.AppKey("client", Client)
SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", AsyncEngine)
INBOUND_SEEN = web.AppKey("inbound_seen", InboundSeen)
CONVERSATIONS = web.AppKey("conversations", Conversations)

routes = web.RouteTableDef()
Model = TypeVar("Model", bound=BaseModel)
Result = TypeVar("Result")
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
    return json_object(raw)


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


async def call_workflow(
    request: web.Request, call: Callable[[timedelta], Awaitable[Result]], handle: WorkflowHandle | None = None
) -> Result:
    """`call_temporal` with the app's update timeout."""
    return await call_temporal(request.app[SETTINGS].update_timeout_seconds, call, handle)


def handle_for(request: web.Request, ext_id: str):
    return conversation_handle(request.app[CLIENT], request[TENANT], ext_id)


def conversations_of(request: web.Request) -> Conversations:
    """The request-free delivery core (conversation_calls.py) this app shares."""
    return request.app[CONVERSATIONS]


@routes.post("/v1/conversations/{conversation_id}/messages")
async def post_message(request: web.Request) -> web.Response:
    """A customer message. The first one creates the conversation, atomically (update-with-start).

    The answer comes when the conversation has recorded the message; `?wait=decided` waits until
    its rules ran and its actions were executed (the receipt's status is then after them).
    """
    ext_id = external_id(request)
    decided = wait_for_decision(request)
    body = await read_body(request, PostMessage)
    if body.says_nothing():
        # A message of nothing was taken, counted as the customer's and answered (a reply of spaces
        # is refused too).
        raise invalid_field("text", "must say something: no text, subject, quoted history or attachment")
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
        conversations_of(request), request[TENANT], ext_id, body, threading_note, decided=decided
    )
    return web.json_response(
        EventResponse.of(ext_id, receipt).body(),
        status=201 if receipt.created else 200,
    )


async def update_conversation(
    request: web.Request,
    update: Any,
    body_model: type[BaseModel],
    event_model: type[BaseModel],
    prepare: Callable[[web.Request, dict[str, Any]], dict[str, Any]] | None = None,
    optional: bool = False,
    checked: Callable[[web.Request, Any], Awaitable[None]] | None = None,
) -> web.Response:
    """Validate the body, send it to the conversation as a Temporal update, answer with the receipt.

    `prepare` may complete the body from the request (headers) before it is validated; `optional`:
    a request without a body is an empty one (every field of the body has a default); `checked`
    refuses a valid body the database says no to.
    """
    ext_id = external_id(request)
    data = await read_json(request) if request.body_exists or not optional else {}
    body = validated(body_model, prepare(request, data) if prepare else data)
    if checked is not None:
        await checked(request, body)
    event = event_model.model_validate(body.model_dump())
    handle = handle_for(request, ext_id)
    receipt = await call_workflow(
        request, lambda deadline: handle.execute_update(update, event, rpc_timeout=deadline), handle
    )
    return web.json_response(EventResponse.of(ext_id, receipt).body())


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
        request,
        ConversationWorkflow.post_reply,
        PostReply,
        AgentReply,
        prepare=reply_identity,
        checked=replying_agent_known,
    )


async def replying_agent_known(request: web.Request, reply: PostReply) -> None:
    """A tenant with a roster answers its customers as its agents only: a reply as "zorro", or as an
    agent removed, went out and counted in the KPIs as someone's first response. A retry of a reply
    the conversation recorded (its agent removed since) is answered as the repeat it is."""
    if await RosterStore(request.app[DATABASE]).may_act(request[TENANT], reply.agent_id):
        return
    if reply.message_id is not None and await _recorded_reply(request, reply.message_id):
        return
    raise invalid_field(
        "agent_id", f"{reply.agent_id} is not an agent of this tenant's roster (GET /v1/agents)"
    )


async def _recorded_reply(request: web.Request, message_id: str) -> bool:
    """Whether the conversation's trail holds the reply `message_id` (asked only on a refusal)."""
    handle = handle_for(request, external_id(request))
    try:
        state = await call_workflow(
            request, lambda deadline: handle.query(ConversationWorkflow.state, rpc_timeout=deadline), handle
        )
    except ApiError:  # no such conversation, or it cannot answer: the refusal stands
        return False
    return any(e.event == "message.sent" and e.message_id == message_id for e in state.decisions)


@routes.post("/v1/conversations/{conversation_id}/status")
async def post_status(request: web.Request) -> web.Response:
    return await update_conversation(request, ConversationWorkflow.change_status, PostStatus, StatusChange)


@routes.post("/v1/conversations/{conversation_id}/assignment")
async def post_assignment(request: web.Request) -> web.Response:
    """An agent took the conversation (conversation.assigned); `duplicate` when it already had them."""
    return await update_conversation(
        request, ConversationWorkflow.assign, PostAssignment, Assignment, checked=assignment_team_known
    )


async def assignment_team_known(request: web.Request, assignment: PostAssignment) -> None:
    """A team the active pack lacks is the caller's mistake (`"team": "biling"`), said as one: the desk
    refused it as the agent's (409 assignment_refused naming agent_id). A team a new pack dropped
    stays assignable to an agent the roster still has in it, as the desk allows."""
    team = assignment.team
    if team is None:
        return
    tenant = request[TENANT]
    teams = (await request.app[ACTIVE_PACKS].pack_for(tenant)).teams
    roster = RosterStore(request.app[DATABASE])
    if assignment.agent_id is None:
        await _team_has_agents(roster, tenant, team, teams)
        return
    if team in teams:
        return
    agent = await roster.get(tenant, assignment.agent_id)
    if agent is not None and team in agent.record.teams:
        return
    known = ", ".join(sorted(teams)) or "none"
    raise invalid_field("team", f"no team {team!r} in the active rule pack (its teams: {known})")


async def _team_has_agents(roster: RosterStore, tenant: str, team: str, teams: Collection[str]) -> None:
    """A conversation sent to a team alone waits for its agents: a team the active pack lacks has no
    strategy to serve it by, and one nobody in the roster belongs to would hold it for ever."""
    if team not in teams:
        known = ", ".join(sorted(teams)) or "none"
        raise invalid_field("team", f"no team {team!r} in the active rule pack (its teams: {known})")
    if not any(team in agent.record.teams for agent in await roster.list(tenant)):
        message = f"no agent of the roster is in team {team!r} (GET /v1/agents): nobody would serve its queue"
        raise ApiError(409, "assignment_refused", message, named("team", message))


@routes.post("/v1/conversations/{conversation_id}/unassignment")
async def post_unassignment(request: web.Request) -> web.Response:
    """Take the agent off the conversation (conversation.unassigned); its desk frees the agent's slot."""
    return await update_conversation(
        request, ConversationWorkflow.unassign, PostUnassignment, AssignmentRelease, optional=True
    )


@routes.post("/v1/conversations/{conversation_id}/survey")
async def post_survey(request: web.Request) -> web.Response:
    """The customer's answer to the satisfaction survey (rating 1-5)."""
    return await update_conversation(request, ConversationWorkflow.complete_survey, PostSurvey, SurveyAnswer)
