"""What a person at the helpdesk does to a conversation: reply, set its status, assign or release it,
and the survey answer the helpdesk passes on.

These are the bodies of the API's conversation actions and the arguments of the workflow's updates
(the customer's own messages are engine/contracts/conversation.py's `InboundMessage`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from engine.contracts.conversation import Status
from engine.contracts.ids import AGENT_ID_PATTERN


class AgentReply(BaseModel):
    """An agent's reply, delivered to the customer through the conversation's channel."""

    agent_id: str = Field(min_length=1, max_length=128)
    text: str = Field(default="", max_length=100_000, description="What the agent wrote (or `template`).")
    message_id: str | None = Field(
        default=None, max_length=256, description="Caller's id for the reply; repeats are ignored."
    )
    template: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="A template of the conversation's rule pack sent instead of text, in the customer's "
        "language: WhatsApp takes only approved templates 24 hours after the customer's last message, "
        "and the gateway is told which (`template`, `language`, `template_only`).",
    )


class StatusChange(BaseModel):
    status: Status
    actor: str | None = Field(default=None, max_length=128)


class Assignment(BaseModel):
    """The helpdesk assigned the conversation: to an agent (optionally moving it to a team), or to a
    team alone, whose strategy then chooses the agent (its queue when nobody is free)."""

    agent_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=AGENT_ID_PATTERN)
    team: str | None = Field(default=None, min_length=1, max_length=64)
    actor: str | None = Field(
        default=None,
        max_length=128,
        description="Who assigned it (a team lead), as on a status change or an unassignment: the "
        "trail's note and the `conversation.assigned` event name them.",
    )


class AssignmentRelease(BaseModel):
    """A person took the agent off the conversation (or it out of its team's queue)."""

    actor: str | None = Field(default=None, max_length=128)


class SurveyAnswer(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=5000)
