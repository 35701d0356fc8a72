"""Request bodies of the HTTP API, and its answers to events (the reads: conversation_views.py).

Request bodies are the API's own schemas with the API's bounds: every field a caller sends is checked
here, because a value that passes the API reaches a conversation workflow and may make its activities
fail on every retry. The workflow's contract models (engine/contracts/conversation.py) stay as lenient
as they were, so histories recorded before a bound was added still deserialise; tightening happens
only on this side.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from engine.contracts.conversation import (
    MAX_LANGUAGE_TAG,
    RECEIVED_AT_MAX_AGE,
    RECEIVED_AT_MAX_AHEAD,
    Channel,
    DeliveryState,
    EventReceipt,
    InboundMessage,
    Party,
    Status,
)
from engine.contracts.helpdesk_actions import (
    AgentReply,
    Assignment,
    AssignmentRelease,
    StatusChange,
    SurveyAnswer,
)
from engine.contracts.ids import AGENT_ID_PATTERN, ID_PATTERN
from engine.contracts.single_line import SINGLE_LINE
from engine.mail.addresses import is_one_mailbox
from engine.mail.verdicts import auto_reply_of

# Free text may hold line breaks and tabs, but never NUL (SMTP and many gateways refuse it).
NO_NUL = r"^[^\x00]*$"
# A BCP 47-shaped tag (`en`, `de-CH`, `pt-BR`, `zh-Hant-TW`) within MAX_LANGUAGE_TAG characters.
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
MAX_ATTACHMENT_BYTES = 2**40  # 1 TiB: more than any channel carries; rule engines get a 64-bit int

MessageId = Annotated[
    str, Field(min_length=1, max_length=256, pattern=SINGLE_LINE, description="The channel's message id.")
]
ConversationId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=ID_PATTERN,
        description="The conversation's id: 1-128 of letters, digits, '.', '_', '-', beginning with a letter "
        "or digit (engine/contracts/ids.py).",
    ),
]


def bcp47_cased(value: object) -> object:
    """`fr_CA` as `fr-CA` (a POSIX locale name where BCP 47 writes a hyphen: a whole message was
    refused), in BCP 47's case: `FR-ca` is `fr-CA`, `zh-hant-tw` is `zh-Hant-TW` (lists filter on it)."""
    if not isinstance(value, str):
        return value
    first, *rest = value.replace("_", "-").split("-")
    cased = [
        p.title() if len(p) == 4 and p.isalpha() else p.upper() if len(p) == 2 else p.lower() for p in rest
    ]
    return "-".join([first.lower(), *cased])


# Up to 35 characters: `zh-Hant-TW` and `sr-Latn-RS` are tags (eight was a whole message refused).
LanguageTag = Annotated[
    str,
    BeforeValidator(bcp47_cased),
    Field(
        max_length=MAX_LANGUAGE_TAG,
        pattern=LANGUAGE_TAG,
        description="Detected or declared language (BCP 47).",
    ),
]
MessageText = Annotated[str, Field(max_length=100_000, pattern=NO_NUL)]


class Strict(BaseModel):
    """Unknown fields are an error: a typo in an integration should fail loudly, not be dropped."""

    model_config = ConfigDict(extra="forbid")


class PostParty(Party, Strict):
    address: str = Field(
        min_length=1, max_length=320, pattern=SINGLE_LINE, description="Email, phone or channel handle."
    )
    name: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE)


class PostAttachment(Strict):
    name: str = Field(min_length=1, max_length=255, pattern=SINGLE_LINE)
    content_type: str = Field(default="application/octet-stream", max_length=255, pattern=SINGLE_LINE)
    size: int = Field(
        default=0, ge=0, le=MAX_ATTACHMENT_BYTES, strict=True, description="Bytes, a JSON integer."
    )


class PostMessage(Strict):
    """A customer message as the channel delivered it (the API side of `InboundMessage`)."""

    message_id: MessageId
    channel: Channel
    sender: PostParty
    # Optional as README says: an image from a chat widget or a mail of a subject alone is a message
    # (it was a 422 "text: Field required" until the caller sent "text": "").
    text: MessageText = Field(
        default="",
        description="What the customer wrote; may be left out when the message has a subject, quoted "
        "history or an attachment (a message of none of them is a 422 naming `text`).",
    )
    quoted: MessageText = Field(
        default="",
        description="Quoted history and signature the channel separated from `text` (rules read it as "
        "`message.quoted`); email received by convoflow fills it itself.",
    )
    subject: str | None = Field(default=None, max_length=1000, pattern=SINGLE_LINE)
    received_at: AwareDatetime | None = Field(
        default=None,
        description="When the channel received it, with its UTC offset: within the 366 days before the "
        "API's clock and at most one day after it. When the API took the message if absent.",
    )
    auto_submitted: bool = Field(
        default=False,
        strict=True,
        description="The channel knows it is automatic (RFC 3834 Auto-Submitted, bounce).",
    )
    language: LanguageTag | None = None
    attachments: list[PostAttachment] = Field(default_factory=list, max_length=50)
    headers: dict[
        Annotated[str, Field(min_length=1, max_length=128, pattern=SINGLE_LINE)],
        Annotated[str, Field(max_length=1000, pattern=SINGLE_LINE)],
    ] = Field(
        default_factory=dict,
        max_length=100,
        description="Channel headers; `Auto-Submitted` other than `no` marks a machine.",
    )

    @field_validator("text", mode="before")
    @classmethod
    def _no_text(cls, value: Any) -> Any:
        return "" if value is None else value  # as left out, as `subject: null` is

    @field_validator("received_at", mode="before")
    @classmethod
    def _written_as_a_time(cls, value: object) -> object:
        # A JSON number was taken as Unix seconds (or milliseconds, by its size): a guess, where
        # every other field of the body is strict.
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                "must be an ISO 8601 time with its UTC offset (2026-12-01T10:04:05Z), not a number"
            )
        return value

    @field_validator("received_at")
    @classmethod
    def _plausible_instant(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        # The workflow believes a channel's time within these bounds and takes its own clock for one
        # outside them: a backfill of older mail kept its text but counted its clocks from now.
        now = datetime.now(UTC)
        if value < now - RECEIVED_AT_MAX_AGE:
            raise ValueError(
                f"must not be more than {RECEIVED_AT_MAX_AGE.days} days before the server's clock: the "
                "conversation's clocks and KPIs would count from now instead"
            )
        if value > now + RECEIVED_AT_MAX_AHEAD:
            raise ValueError("must not be more than one day ahead of the server's clock")
        return value

    @model_validator(mode="after")
    def _one_mailbox_for_email(self) -> PostMessage:
        # Every reply goes to this address: named on `sender.address`, as a field's own bound is.
        if self.channel is Channel.EMAIL and not is_one_mailbox(self.sender.address):
            problem = PydanticCustomError(
                "email_address",
                "must be one email address (local@domain, no name or list) on the email channel",
            )
            detail = InitErrorDetails(type=problem, loc=("sender", "address"), input=self.sender.address)
            raise ValidationError.from_exception_data(type(self).__name__, [detail])
        return self

    def says_nothing(self) -> bool:
        """No text, subject, quoted history or attachment. Refused on /messages only: a gateway's
        media-only message may come with empty text and its media in a field of its own (a gateway
        does not retry a 4xx: refused, it is lost), and an empty mail is still a mail to quarantine,
        not one to lose."""
        return not (
            self.text.strip() or self.quoted.strip() or (self.subject or "").strip() or self.attachments
        )

    def to_message(self) -> InboundMessage:
        message = InboundMessage.model_validate(self.model_dump(exclude={"headers"}))
        said = {k.lower(): v for k, v in self.headers.items()}
        if said.get("auto-submitted", "no").strip().lower() != "no":
            message.auto_submitted = True
        # An out-of-office, or other automatic mail a person wrote (auto-forwarded, a list's)?
        message.auto_reply = auto_reply_of(said)
        return message


class PostSurvey(SurveyAnswer, Strict):
    rating: int = Field(ge=1, le=5, strict=True, description="1 to 5, a JSON integer.")
    comment: str | None = Field(default=None, max_length=5000, pattern=NO_NUL)


class PostAssignment(Assignment, Strict):
    agent_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=AGENT_ID_PATTERN,
        description="The agent who takes it. Left out: the conversation goes to `team`, whose strategy "
        "chooses the agent (its queue when nobody is free).",
    )
    team: str | None = Field(default=None, min_length=1, max_length=64, pattern=SINGLE_LINE)
    actor: str | None = Field(
        default=None,
        max_length=128,
        pattern=SINGLE_LINE,
        description="Who assigned it (a team lead): the trail's note and the `conversation.assigned` "
        "event name them.",
    )

    @model_validator(mode="after")
    def _names_someone(self) -> PostAssignment:
        if self.agent_id is None and self.team is None:
            problem = PydanticCustomError(
                "missing", "name the agent who takes it, or the team whose queue it goes to (team)"
            )
            detail = InitErrorDetails(type=problem, loc=("agent_id",), input=None)
            raise ValidationError.from_exception_data(type(self).__name__, [detail])
        return self


class PostUnassignment(AssignmentRelease, Strict):
    actor: str | None = Field(default=None, max_length=128, pattern=SINGLE_LINE)


class PostReply(AgentReply, Strict):
    # As an assignment names the agent: "a b" was taken, and counted in the KPIs as an agent.
    agent_id: str = Field(min_length=1, max_length=128, pattern=AGENT_ID_PATTERN)
    text: str = Field(
        default="",
        max_length=100_000,
        pattern=NO_NUL,
        description="What the agent wrote; required unless `template` names what to send.",
    )
    message_id: MessageId | None = Field(
        default=None,
        description="Caller's id for the reply; repeats are ignored. Required unless an `Idempotency-Key` "
        "header carries it (both: they must be equal).",
    )
    template: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=SINGLE_LINE,
        description="A template of the conversation's rule pack to send instead of text, in the "
        "customer's language: after WhatsApp's 24-hour window only approved templates go out (free "
        "text there is a 409 `outside_messaging_window`); the gateway gets its name and language.",
    )

    @model_validator(mode="after")
    def _text_or_template(self) -> PostReply:
        if self.template is not None and self.text:
            field, problem = "template", "send the text or a template, not both"
        elif self.template is None and not self.text:
            field, problem = "text", "required: the reply's text, or a template of the pack (template)"
        elif self.template is None and not self.text.strip():
            # Sent as it was, a reply of spaces reached the customer and counted as the first response.
            field, problem = "text", "must say something: it is only whitespace"
        else:
            return self
        detail = InitErrorDetails(
            type=PydanticCustomError("reply_text", problem), loc=(field,), input=getattr(self, field)
        )
        raise ValidationError.from_exception_data(type(self).__name__, [detail])


class PostStatus(StatusChange, Strict):
    actor: str | None = Field(default=None, max_length=128, pattern=SINGLE_LINE)


class RepeatedMail(BaseModel):
    """`POST /v1/inbound/email`'s 200 for a mail taken before (its Message-ID): nothing is done again."""

    duplicate: Literal[True] = True
    message_id: str
    conversation_id: str | None = Field(
        default=None,
        description="The conversation it went to (absent for mails taken before the service kept it).",
    )


class RepeatedWebhook(BaseModel):
    """`POST /v1/inbound/webhook/{tenant}`'s 200 for a webhook id taken before: nothing is done again."""

    duplicate: Literal[True] = True
    webhook_id: str
    conversation_id: str | None = Field(
        default=None,
        description="The conversation its message went to (absent for ids taken before the service kept it).",
    )


class EventResponse(BaseModel):
    """What the conversation says about an event it took. For a customer message it answers when the
    message is recorded (its rules follow): read the outcome from GET, `/decisions` or the event
    subscriptions, or post with `?wait=decided`."""

    conversation_id: str
    seq: int = Field(
        description="The event's place in the conversation; for a customer message, the seq of the first "
        "decision entry it leads to (`conversation.created` for the first one, else `message.received` or "
        "the status change it causes), which carries its `message_id`."
    )
    duplicate: bool
    created: bool
    status: Status = Field(
        description="For a new customer message (unless `?wait=decided`): `open`, the status it leaves "
        "before the rules run (it wakes a pending conversation, reopens a solved one, begins a thread after "
        "a close); for a duplicate, the current status; for the other events and `?wait=decided`, the "
        "status after the rules ran."
    )
    thread: int = Field(description="The thread the event belongs to; a message after a close begins one.")
    delivery: DeliveryState | None = Field(
        default=None,
        description="For an agent's reply: `delivered` (the channel took it), `sending` (the channel did "
        "not take it at once: it is sent in the background, in order, and `message.delivered` or "
        "`message.delivery_failed` on the trail and to subscribers tells how it ended) or `failed` (the "
        "channel refused it: the reason is on the trail's `message.delivery_failed`, which subscribers "
        "get). A repeated reply gets how its send stands now. Absent for other events, and for a repeat "
        "older than the trail.",
    )
    assignee: str | None = Field(
        default=None,
        description="For an assignment: the agent who has the conversation now (null while it waits in "
        "the team's queue). Absent for other events.",
    )
    queued: bool | None = Field(
        default=None,
        description="For an assignment: true when it waits in the team's queue (no agent of the team was "
        "free), false otherwise: an agent has it, or (`assignee` null) a rule that ran on the assignment "
        "took it out of the queue. Absent for other events.",
    )

    def body(self) -> dict[str, Any]:
        """The answer's JSON: `delivery` only where it applies (an agent's reply), `assignee` and
        `queued` only for an assignment."""
        left_out = {"delivery"} if self.delivery is None else set()
        if self.queued is None:
            left_out |= {"assignee", "queued"}
        return self.model_dump(mode="json", exclude=left_out or None)

    @classmethod
    def of(cls, external_id: str, receipt: EventReceipt) -> EventResponse:
        return cls(
            conversation_id=external_id,
            seq=receipt.seq,
            duplicate=receipt.duplicate,
            created=receipt.created,
            status=receipt.status,
            thread=receipt.thread,
            delivery=receipt.delivery,
            assignee=receipt.assignee,
            queued=receipt.queued,
        )
