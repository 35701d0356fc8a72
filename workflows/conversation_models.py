"""What goes in and out of a conversation workflow: typed, validated, serialised by pydantic.

The HTTP API validates integrator input into these models, Temporal carries them through history
with the pydantic data converter, and the workflow's query returns `ConversationState`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

# Ids end up inside workflow ids (`conversation:{tenant}:{external id}`), so they may not hold the
# separator or anything a shell or URL would mangle.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$"


class Channel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    SOCIAL = "social"


class Status(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


def conversation_workflow_id(tenant: str, external_id: str) -> str:
    """The one place the workflow id scheme lives: a conversation is addressable only in its tenant."""
    return f"conversation:{tenant}:{external_id}"


class Party(BaseModel):
    address: str = Field(min_length=1, max_length=320, description="Email, phone or channel handle.")
    name: str | None = Field(default=None, max_length=200)


class InboundMessage(BaseModel):
    """A customer message as the channel delivered it."""

    message_id: str = Field(min_length=1, max_length=256, description="The channel's message id.")
    sender: Party
    text: str = Field(max_length=100_000)
    received_at: datetime | None = Field(
        default=None, description="When the channel received it; the workflow's clock if absent."
    )


class AgentReply(BaseModel):
    """An agent's reply, delivered to the customer through the conversation's channel."""

    agent_id: str = Field(min_length=1, max_length=128)
    text: str = Field(min_length=1, max_length=100_000)
    message_id: str | None = Field(
        default=None, max_length=256, description="Caller's id for the reply; repeats are ignored."
    )


class StatusChange(BaseModel):
    status: Status
    actor: str | None = Field(default=None, max_length=128)


class ConversationStart(BaseModel):
    """Workflow input: who the conversation is with, plus the state carried over a continue-as-new."""

    tenant: str
    external_id: str
    channel: Channel
    customer: Party
    carried: ConversationState | None = None


class EventReceipt(BaseModel):
    """What the caller learns about an event it sent: its place in the conversation, or a duplicate."""

    conversation_id: str
    seq: int
    duplicate: bool = False
    created: bool = Field(default=False, description="This event created the conversation.")
    status: Status


class ConversationState(BaseModel):
    """The conversation as the workflow holds it; carried whole across continue-as-new."""

    conversation_id: str
    tenant: str
    external_id: str
    channel: Channel
    customer: Party
    status: Status = Status.OPEN
    tags: list[str] = Field(default_factory=list)
    customer_messages: int = 0
    agent_messages: int = 0
    created_at: datetime
    updated_at: datetime
    first_customer_message_at: datetime | None = None
    last_customer_message_at: datetime | None = None
    first_agent_reply_at: datetime | None = None
    event_seq: int = 0
    created_handled: bool = False
    seen_message_ids: list[str] = Field(default_factory=list)
    runs: int = 1

    @property
    def messages_count(self) -> int:
        return self.customer_messages + self.agent_messages


ConversationStart.model_rebuild()
