"""Reaching conversations without a request: Temporal calls (deliveries, the state reads show) and
their failures as API errors.

The API's routes, the mail intake (engine/api/email_intake.py) and the worker's mailbox connectors
(engine/service/mailbox.py) all reach conversations through `Conversations`; none of it reads an
aiohttp request, so a connector or the CLI (`convoflow quarantine release`) delivers exactly as a
POST would, with the same errors. Each process builds one (`Conversations.of`) and shares it: the
API's routes and its mail intake, the worker's connectors, one CLI command.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

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

from engine.api.active_packs import ActivePacks
from engine.api.errors import ApiError, named, unavailable
from engine.api.schemas import PostMessage
from engine.contracts.conversation import (
    ConversationStart,
    ConversationState,
    EventReceipt,
    conversation_workflow_id,
)
from engine.db.customer_index import CustomerIndex
from engine.service.config import Settings
from engine.service.metrics import MESSAGES_IN
from workflows.conversation.workflow import ConversationWorkflow

Result = TypeVar("Result")
NO_SUCH_RUN = "this conversation has no run with this id"
# How long past the update timeout a call may run before we cancel it: Temporal normally ends it at
# the deadline it was given; this covers an SDK polling loop that starts one more call.
BACKSTOP_SECONDS = 2.0


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
        raise ApiError(
            404,
            "conversation_not_found",
            "no such run, or it cannot answer",
            named(_asked_for(handle), "no such run, or it cannot answer"),
        ) from None
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == "ConversationClosed":
            raise ApiError(409, "conversation_closed", CLOSED, named("conversation_id", CLOSED)) from None
        if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
            status, code, field = REFUSALS[cause.type]
            said = f"{field}: {cause.message}" if status == 422 else cause.message
            raise ApiError(status, code, said, named(field, cause.message)) from None
        raise ApiError(409, "rejected", str(cause or exc)) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            if handle is not None and await _has_ended(handle):
                raise ApiError(409, "conversation_closed", CLOSED, named("conversation_id", CLOSED)) from None
            if handle is not None and handle.run_id is not None:  # `?run_id=` of another conversation
                raise ApiError(
                    404, "conversation_not_found", NO_SUCH_RUN, named("run_id", NO_SUCH_RUN)
                ) from None
            raise ApiError(404, "conversation_not_found", NOT_FOUND, named("conversation_id")) from None
        if exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise unavailable(
                "worker_unavailable",
                f"no worker answered within {timeout:g}s; retry (events with the same message_id)",
            ) from None
        raise unavailable("temporal_unavailable", "Temporal did not answer; retry") from None


CLOSED = "the conversation is closed"
# What the workflow refused (its ApplicationError's type): the answer's status, code and the field
# it names. A desk's refusal names what the caller sent: the agent it cannot give the conversation
# to, or the team whose queue cannot take it.
REFUSALS = {
    "NoSurvey": (409, "no_survey", "conversation_id"),
    "TextTooLong": (422, "invalid_request", "text"),
    "OutsideMessagingWindow": (409, "outside_messaging_window", "text"),
    "UnknownTemplate": (422, "invalid_request", "template"),
    "ChannelMismatch": (409, "channel_mismatch", "channel"),
    "MessageIdReused": (409, "message_id_reused", "message_id"),
    "SenderMismatch": (409, "sender_mismatch", "sender.address"),
    "AssignmentRefused": (409, "assignment_refused", "agent_id"),
    "TeamRefused": (409, "assignment_refused", "team"),
}
NOT_FOUND = "no such conversation"


def _asked_for(handle: WorkflowHandle | None) -> str:
    """What the caller named that Temporal could not find: a run (`?run_id=`), or the conversation."""
    return "run_id" if handle is not None and handle.run_id is not None else "conversation_id"


async def _has_ended(handle: WorkflowHandle) -> bool:
    try:
        return (await handle.describe()).status != WorkflowExecutionStatus.RUNNING
    except RPCError:
        return False


async def current_state(handle: WorkflowHandle, deadline: timedelta) -> ConversationState:
    """The conversation's state without its trail, which reads of it do not show: a long
    conversation's trail is most of its state (280 messages: 408 KiB) and of the query's time. A
    worker of the code before has no such query, so a failed one is asked as `state`."""
    try:
        return await handle.query(ConversationWorkflow.state_without_trail, rpc_timeout=deadline)
    except WorkflowQueryFailedError:
        return await handle.query(ConversationWorkflow.state, rpc_timeout=deadline)


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
    customers: CustomerIndex
    """Every sender into a conversation, written as a message is delivered (a data subject's request
    reads it back); one per process, for its memory of the rows already written."""

    @classmethod
    def of(cls, client: Client, settings: Settings, database: AsyncEngine) -> Conversations:
        return cls(
            client=client,
            settings=settings,
            packs=ActivePacks(database, settings),
            customers=CustomerIndex(database),
        )

    async def call(
        self, call: Callable[[timedelta], Awaitable[Result]], handle: WorkflowHandle | None = None
    ) -> Result:
        return await call_temporal(self.settings.update_timeout_seconds, call, handle)


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
    # A channel that says nothing of when it received the message: when the API took it. The
    # workflow's own clock counted from when a worker got to it (seconds later on a busy worker, or
    # while a tenant's first pack was published), and staggered messages that came in together.
    message.received_at = message.received_at or datetime.now(UTC)
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
    # A data subject's request finds the conversation by the address of everyone who wrote into it;
    # a repeat too (the first answer may have been lost before this line: a 503, a crash).
    await conversations.customers.add(
        tenant, message.sender.address, ext_id, body.channel, created=receipt.created
    )
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
