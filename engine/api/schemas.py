"""Request and response bodies of the HTTP API (the workflow's own models are reused for events)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from engine.contracts.conversation import (
    AgentReply,
    Assignment,
    Channel,
    ConversationState,
    DecisionEntry,
    EventReceipt,
    InboundMessage,
    Party,
    Status,
    StatusChange,
    SurveyAnswer,
    ThreadSummary,
)


class Strict(BaseModel):
    """Unknown fields are an error: a typo in an integration should fail loudly, not be dropped."""

    model_config = ConfigDict(extra="forbid")


class PostMessage(InboundMessage, Strict):
    channel: Channel
    headers: dict[str, str] = Field(
        default_factory=dict, description="Channel headers; `Auto-Submitted` other than `no` marks a machine."
    )

    def to_message(self) -> InboundMessage:
        message = InboundMessage.model_validate(self.model_dump(exclude={"channel", "headers"}))
        auto = {k.lower(): v for k, v in self.headers.items()}.get("auto-submitted", "no").strip().lower()
        if auto != "no":
            message.auto_submitted = True
        return message


class PostSurvey(SurveyAnswer, Strict):
    pass


class PostAssignment(Assignment, Strict):
    pass


class PostReply(AgentReply, Strict):
    pass


class PostStatus(StatusChange, Strict):
    pass


class EventResponse(BaseModel):
    conversation_id: str
    seq: int
    duplicate: bool
    created: bool
    status: Status
    thread: int = Field(description="The thread the event belongs to; a message after a close begins one.")

    @classmethod
    def of(cls, external_id: str, receipt: EventReceipt) -> EventResponse:
        return cls(
            conversation_id=external_id,
            seq=receipt.seq,
            duplicate=receipt.duplicate,
            created=receipt.created,
            status=receipt.status,
            thread=receipt.thread,
        )


class SlaView(BaseModel):
    policy: str | None
    breached: bool
    targets: dict[str, dict]


class ConversationView(BaseModel):
    conversation_id: str
    channel: Channel
    status: Status
    customer: Party
    priority: str
    team: str | None
    assignee: str | None
    language: str | None
    tags: list[str]
    reopened: int
    escalation_level: int
    sla: SlaView
    survey: dict
    pack_hash: str | None
    follows_run_id: str | None
    runs: int
    thread: int
    closed_at: datetime | None
    messages_count: int
    customer_messages: int
    agent_messages: int
    created_at: datetime
    updated_at: datetime
    first_customer_message_at: datetime | None
    last_customer_message_at: datetime | None
    first_agent_reply_at: datetime | None

    @classmethod
    def of(cls, state: ConversationState) -> ConversationView:
        return cls(
            conversation_id=state.external_id,
            messages_count=state.messages_count,
            sla=SlaView(
                policy=state.sla.policy,
                breached=state.sla.breached,
                targets={name: t.model_dump(mode="json") for name, t in state.sla.targets.items()},
            ),
            survey=state.survey.model_dump(mode="json"),
            **state.model_dump(
                include={
                    "priority",
                    "team",
                    "assignee",
                    "language",
                    "reopened",
                    "escalation_level",
                    "pack_hash",
                    "runs",
                    "thread",
                    "closed_at",
                    "follows_run_id",
                    "channel",
                    "status",
                    "customer",
                    "tags",
                    "customer_messages",
                    "agent_messages",
                    "created_at",
                    "updated_at",
                    "first_customer_message_at",
                    "last_customer_message_at",
                    "first_agent_reply_at",
                }
            ),
        )


class ConversationSummary(BaseModel):
    conversation_id: str
    channel: str | None
    status: str | None
    priority: str | None
    team: str | None
    assignee: str | None
    tags: list[str]
    sla_breached: bool | None
    created_at: datetime | None
    last_activity_at: datetime | None


class DecisionTrail(BaseModel):
    conversation_id: str
    decisions: list[DecisionEntry]


class ThreadView(ThreadSummary):
    status: Status


class ThreadList(BaseModel):
    """Every thread of a conversation, oldest first; the last is the current one."""

    conversation_id: str
    threads: list[ThreadView]

    @classmethod
    def of(cls, state: ConversationState) -> ThreadList:
        earlier = [ThreadView(status=Status.CLOSED, **t.model_dump()) for t in state.threads]
        current = ThreadView(
            thread=state.thread,
            status=state.status,
            started_at=state.created_at,
            closed_at=state.closed_at if state.status is Status.CLOSED else None,
            run_id=state.thread_run_id,
            closed_run_id=state.closed_run_id if state.status is Status.CLOSED else None,
            first_seq=state.thread_first_seq,
            last_seq=state.event_seq,
            customer_messages=state.customer_messages,
            agent_messages=state.agent_messages,
            team=state.team,
            assignee=state.assignee,
            tags=list(state.tags),
            sla_breached=state.sla.breached,
        )
        return cls(conversation_id=state.external_id, threads=[*earlier, current])


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]
