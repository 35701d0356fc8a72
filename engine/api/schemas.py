"""Request and response bodies of the HTTP API (the workflow's own models are reused for events)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from workflows.conversation_models import (
    AgentReply,
    Channel,
    ConversationState,
    EventReceipt,
    InboundMessage,
    Party,
    Status,
    StatusChange,
)


class Strict(BaseModel):
    """Unknown fields are an error: a typo in an integration should fail loudly, not be dropped."""

    model_config = ConfigDict(extra="forbid")


class PostMessage(InboundMessage, Strict):
    channel: Channel


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

    @classmethod
    def of(cls, external_id: str, receipt: EventReceipt) -> EventResponse:
        return cls(
            conversation_id=external_id,
            seq=receipt.seq,
            duplicate=receipt.duplicate,
            created=receipt.created,
            status=receipt.status,
        )


class ConversationView(BaseModel):
    conversation_id: str
    channel: Channel
    status: Status
    customer: Party
    tags: list[str]
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
            **state.model_dump(
                include={
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
    created_at: datetime | None
    last_activity_at: datetime | None


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]
