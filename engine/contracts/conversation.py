"""What goes in and out of a conversation workflow: typed, validated, serialised by pydantic.

The HTTP API validates integrator input into these models, Temporal carries them through history
with the pydantic data converter, and the workflow's query returns `ConversationState`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.contracts.assignment import ConversationAssignment
from engine.contracts.events import ConversationEvent

# Ids end up inside workflow ids (`conversation:{tenant}:{external id}`): engine/contracts/ids.py
# holds the one pattern they must match, and says why.
from engine.contracts.ids import ID_PATTERN as ID_PATTERN
from engine.contracts.sla_state import SlaState

# The decision trail has its own module; its models are named here too, where they always were.
from engine.contracts.trail import DecisionEntry as DecisionEntry
from engine.contracts.trail import ExecutedAction as ExecutedAction

MAX_LANGUAGE_TAG = 35  # a BCP 47 tag with script and region (`zh-Hant-TW`), not a whole locale string


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


class ChannelCapabilities(BaseModel):
    """What a channel accepts; the workflow shapes outbound messages to fit."""

    max_length: int | None = Field(default=None, description="Longest text the channel takes.")
    attachments: bool = True
    free_form_window_hours: float | None = Field(
        default=None,
        description="After this long since the customer's last message only approved templates may be sent.",
    )


CHANNEL_CAPABILITIES: dict[str, ChannelCapabilities] = {
    "email": ChannelCapabilities(),
    "chat": ChannelCapabilities(max_length=10_000),
    "whatsapp": ChannelCapabilities(max_length=4_096, free_form_window_hours=24.0),
    "sms": ChannelCapabilities(max_length=1_600, attachments=False),
    "social": ChannelCapabilities(max_length=2_000),
}
# Local parts of addresses nobody reads (a shop's, a contact form's): engine/mail/parsing.py takes
# such a mail's customer from Reply-To.
NOBODY_READS_LOCAL = r"no-?reply|do-?not-?reply"
# Senders that are machines: never auto-reply to them (RFC 3834 asks the same of Auto-Submitted mail).
AUTOMATED_SENDER_PATTERN = rf"^({NOBODY_READS_LOCAL}|mailer-daemon|postmaster|bounces?|notifications?)[@+.\-]"


def conversation_workflow_id(tenant: str, external_id: str) -> str:
    """The one place the workflow id scheme lives: a conversation is addressable only in its tenant."""
    return f"conversation:{tenant}:{external_id}"


# A channel's receive time (`received_at`) is believed within these bounds of the clock: the workflow
# takes its own clock for one outside them (workflows/conversation/inbox.py), and the API refuses one
# (engine/api/schemas.py), so no message's time is replaced without a word.
RECEIVED_AT_MAX_AGE = timedelta(days=366)
RECEIVED_AT_MAX_AHEAD = timedelta(days=1)


def external_id_of(workflow_id: str) -> str:
    """The channel's conversation id inside a workflow id (neither tenant nor id may hold a ':')."""
    return workflow_id.split(":", 2)[2]


class Party(BaseModel):
    address: str = Field(min_length=1, max_length=320, description="Email, phone or channel handle.")
    name: str | None = Field(default=None, max_length=200)


class Attachment(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int = Field(default=0, ge=0)


class InboundMessage(BaseModel):
    """A customer message as the channel delivered it."""

    message_id: str = Field(min_length=1, max_length=256, description="The channel's message id.")
    channel: Channel | None = Field(
        default=None,
        description="The channel it came on: a conversation takes messages of its own channel only "
        "(None: recorded before messages said it).",
    )
    sender: Party
    text: str = Field(max_length=100_000)
    quoted: str = Field(
        default="", max_length=100_000, description="Email: quoted history and signature apart from `text`."
    )
    subject: str | None = Field(default=None, max_length=1000)
    received_at: datetime | None = Field(
        default=None, description="When the channel received it; the workflow's clock if absent."
    )
    auto_submitted: bool = Field(
        default=False, description="The channel knows it is automatic (RFC 3834 Auto-Submitted, bounce)."
    )
    auto_reply: bool | None = Field(
        default=None,
        description="An automatic reply to ours (an out-of-office: `Auto-Submitted: auto-replied`, "
        "`X-Autoreply`, `Precedence: auto_reply`); false for other automatic mail (auto-forwarded, a "
        "list's), whose text a person wrote; null when the channel did not say (`auto_submitted` "
        "stands for it, as for messages recorded before this field).",
    )
    language: str | None = Field(
        default=None, max_length=MAX_LANGUAGE_TAG, description="Detected or declared language."
    )
    attachments: list[Attachment] = Field(default_factory=list, max_length=50)
    threading_note: str | None = Field(
        default=None,
        max_length=200,
        description="Why the message began a new conversation though it named another (an email whose "
        "In-Reply-To named a conversation its sender does not belong to); the trail records it.",
    )


class BounceReport(BaseModel):
    """A delivery report (DSN) saying one of the conversation's outbound emails did not arrive."""

    message_id: str = Field(min_length=1, max_length=256, description="The report's own Message-ID (dedup).")
    bounced_message_id: str = Field(max_length=256, description="Our Message-ID that bounced.")
    action: str = Field(default="", max_length=16, description="failed, delayed, ... (RFC 3464).")
    status: str = Field(default="", max_length=16, description="Enhanced status code, e.g. 5.1.1.")


class ConversationStart(BaseModel):
    """Workflow input: who the conversation is with, plus the state carried over a continue-as-new."""

    tenant: str
    external_id: str
    channel: Channel
    customer: Party
    pack_hash: str | None = Field(default=None, description="The rule pack this conversation pins.")
    follows_run_id: str | None = Field(
        default=None, description="The closed conversation this one continues (same thread, new life)."
    )
    max_events_per_run: int = Field(
        default=300, ge=2, description="Continue-as-new after this many events (history stays small)."
    )
    carried: ConversationState | None = None


# How an agent reply's send stands (replies.py): the channel took it, it goes on in the background,
# or the channel refused it.
DeliveryState = Literal["delivered", "sending", "failed"]


class EventReceipt(BaseModel):
    """What the caller learns about an event it sent: its place in the conversation, or a duplicate."""

    conversation_id: str
    seq: int
    duplicate: bool = False
    created: bool = Field(default=False, description="This event created the conversation.")
    status: Status
    thread: int = Field(default=1, description="The thread the event belongs to (1 until the first close).")
    delivery: DeliveryState | None = Field(default=None, description="An agent reply's send (replies.py).")
    assignee: str | None = Field(default=None, description="An assignment's answer: who has it now.")
    queued: bool | None = Field(default=None, description="An assignment's answer: it waits in a queue.")


MessageKeeps = Literal["survey_answer", "automatic_reply"]
"""Why a customer message leaves the status and thread as they are (inbox.py `_keeps_the_thread`)."""


class RecordedMessage(BaseModel):
    """A customer message the conversation answered for when it recorded it, handled next in seq order.

    Its rules, the CRM lookup and the sends follow in the workflow's main loop (issue 15): the update
    answers as soon as the message is recorded, not when it is decided.
    """

    seq: int = Field(description="The seq its receipt gave: the first trail entry the message leads to.")
    thread: int = Field(description="The thread its receipt named (the next one after a close).")
    message: InboundMessage
    keeps: MessageKeeps | None = Field(
        default=None,
        description="It leaves the status and thread as they are: a rating alone answering the survey, "
        "an automatic reply to a closed conversation (inbox.py `_keeps_the_thread`).",
    )


class ThreadSummary(BaseModel):
    """One closed thread of a conversation: a customer wrote again after it closed, so a new one began."""

    thread: int
    started_at: datetime
    closed_at: datetime | None = None
    run_id: str | None = Field(default=None, description="The workflow run the thread began in.")
    closed_run_id: str | None = Field(default=None, description="The run it closed in (its decisions).")
    first_seq: int = 0
    last_seq: int = 0
    customer_messages: int = 0
    agent_messages: int = 0
    team: str | None = None
    assignee: str | None = None
    tags: list[str] = Field(default_factory=list)
    sla_breached: bool = False
    survey: str = Field(
        default="none",
        description="Its survey: none, scheduled, sent, completed, expired (also one sent and not "
        "answered when the next thread began), skipped (also one not sent yet then).",
    )
    rating: int | None = Field(default=None, description="Its survey's answer (1-5).")


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
    sends_waiting: int = Field(
        default=0,
        description="Sends the channel did not take at once, retried in the background in order "
        "(their end is on the trail: message.delivered or message.delivery_failed).",
    )
    crm_writes_waiting: int = Field(
        default=0, description="CRM writes the CRM did not take at once, retried in the background in order."
    )
    created_at: datetime
    updated_at: datetime
    first_customer_message_at: datetime | None = None
    last_customer_message_at: datetime | None = None
    last_heard_at: datetime | None = Field(
        default=None,
        description="The customer's latest message that is no message of the conversation's (a survey's "
        "rating): a channel's free-form window counts from it too.",
    )
    first_agent_reply_at: datetime | None = None
    event_seq: int = 0
    created_handled: bool = False
    seen_message_ids: list[str] = Field(default_factory=list)
    reply_digests: dict[str, str] = Field(
        default_factory=dict,
        description="An agent reply's message id -> a digest of what it said (agent, text, template): "
        "the same id with other words is refused, not answered as a repeat (replies.py).",
    )
    runs: int = 1
    run_started_seq: int = 0
    life_id: str | None = Field(
        default=None,
        description="Run id of the conversation's first run: with the event seq it makes outbound keys "
        "unique for the conversation's whole life (threads, continue-as-new, a restart after completion).",
    )
    thread: int = Field(default=1, description="Threads begin when a customer writes after a close.")
    thread_run_id: str | None = None
    thread_first_seq: int = 0
    closed_at: datetime | None = None
    closed_run_id: str | None = None
    threads: list[ThreadSummary] = Field(default_factory=list, description="Earlier, closed threads.")
    max_events_per_run: int = 300
    pack_hash: str | None = None
    follows_run_id: str | None = None
    priority: str = "normal"
    team: str | None = None
    assignee: str | None = None
    assignment: ConversationAssignment | None = Field(
        default=None, description="What the assignment desk was asked and answered (issue 16)."
    )
    language: str | None = None
    language_source: str | None = Field(
        default=None,
        description="`detected` when `language` came from triage (then a later message may change it); "
        "None when the channel declared it or the CRM prefers it.",
    )
    reopened: int = 0
    escalation_level: int = 0
    last_agent_reply_at: datetime | None = None
    last_auto_reply_at: datetime | None = None
    customer_is_automated: bool = False
    sla: SlaState = Field(default_factory=lambda: SlaState())
    timers: Timers = Field(default_factory=lambda: Timers())
    survey: SurveyState = Field(default_factory=lambda: SurveyState())
    notes: int = 0
    subject: str | None = None
    thread_message_ids: list[str] = Field(
        default_factory=list, description="Latest inbound channel message ids, for email threading."
    )
    unsent_events: list[ConversationEvent] = Field(
        default_factory=list,
        description="Subscription events the database did not take yet (down): sent again, first, at "
        "the next flush or at `events_retry_at`, so none is lost and their order holds.",
    )
    events_retry_at: datetime | None = None
    events_failures: int = 0
    customer_profile: dict[str, Any] | None = Field(
        default=None, description="The CRM record found at creation."
    )
    enrichment: str = Field(default="not tried", description="found, unknown customer, unavailable: ...")
    decisions: list[DecisionEntry] = Field(default_factory=list)
    inbox: list[RecordedMessage] = Field(
        default_factory=list,
        description="Customer messages recorded (answered) and not yet handled, in seq order; carried "
        "over continue-as-new and into a new thread, so none is lost.",
    )

    def current_thread(self, *, ended: bool = False) -> ThreadSummary:
        """The thread under way as a summary (what is kept of it once the next one begins: `ended`,
        its survey then waits no longer)."""
        closed = self.status is Status.CLOSED
        survey = self.survey.status
        if ended:
            survey = {"sent": "expired", "scheduled": "skipped"}.get(survey, survey)
        return ThreadSummary(
            thread=self.thread,
            started_at=self.created_at,
            closed_at=self.closed_at if closed else None,
            run_id=self.thread_run_id,
            closed_run_id=self.closed_run_id if closed else None,
            first_seq=self.thread_first_seq,
            last_seq=self.event_seq,
            customer_messages=self.customer_messages,
            agent_messages=self.agent_messages,
            team=self.team,
            assignee=self.assignee,
            tags=list(self.tags),
            sla_breached=self.sla.breached,
            survey=survey,
            rating=self.survey.rating if survey == "completed" else None,
        )

    @property
    def messages_count(self) -> int:
        return self.customer_messages + self.agent_messages


class Timers(BaseModel):
    """Instants at which the workflow acts by itself (None: not scheduled)."""

    idle_at: datetime | None = None
    auto_close_at: datetime | None = None
    reopen_window_ends_at: datetime | None = None
    snooze_ends_at: datetime | None = None


class SurveyState(BaseModel):
    due_at: datetime | None = None
    sent_at: datetime | None = None
    expires_at: datetime | None = None
    status: str = "none"  # none, scheduled, sent, completed, expired, skipped
    rating: int | None = None


ConversationState.model_rebuild()
ConversationStart.model_rebuild()
