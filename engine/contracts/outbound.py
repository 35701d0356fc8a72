"""The outbound message every channel adapter accepts, and what it reports back."""

from __future__ import annotations

from pydantic import BaseModel, Field

from engine.contracts.conversation import external_id_of


class OutboundMessage(BaseModel):
    """One message to a customer.

    `idempotency_key` is `{workflow id}:{event seq}:{action index}`: a retried activity or a replayed
    event produces the same key, and the adapter refuses to deliver a key twice.
    """

    idempotency_key: str
    conversation_id: str
    tenant: str
    channel: str
    to: str
    kind: str = Field(description="acknowledgement, agent_reply, ...")
    text: str
    in_reply_to: str | None = Field(default=None, description="The channel message id this answers.")
    references: list[str] = Field(default_factory=list, description="Earlier message ids of the thread.")
    subject: str | None = None
    template: str | None = Field(default=None, description="Rule-pack template the text came from.")
    language: str | None = None
    template_only: bool = Field(
        default=False, description="Outside the channel's free-form window: send as an approved template."
    )

    @property
    def external_conversation_id(self) -> str:
        return external_id_of(self.conversation_id)


class DeliveryResult(BaseModel):
    idempotency_key: str
    delivered: bool = Field(description="False when the key had already been delivered.")
    adapter: str = "outbox"
