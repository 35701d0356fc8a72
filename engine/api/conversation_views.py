"""What the API answers about conversations: one conversation, its trail, its threads, a page of them.

Views built from the workflow's state (`ConversationView.of`), so a GET shows what the conversation
holds, in the API's own shape (the OpenAPI document names these models).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from engine.contracts.conversation import (
    Channel,
    ConversationState,
    DecisionEntry,
    Party,
    Status,
    SurveyState,
    ThreadSummary,
)
from engine.contracts.sla_state import EarlierBreach, PendingEscalation, SlaTarget

M = TypeVar("M", bound=BaseModel)


class SlaView(BaseModel):
    policy: str | None
    breached: bool
    targets: dict[str, dict] = Field(
        description="Each target's clock (first_response, next_response, resolution): `deadline` while "
        "it runs; `remaining_minutes` the business minutes it had left when it last paused or "
        "(re)started, not a live count (the rule context's `sla.*_remaining_minutes` is), 0 once "
        "breached and null once met (`met_at`); `paused_at` "
        "when it last paused, kept after it resumes (`started_at` is later then)."
    )
    escalations: list[PendingEscalation] = Field(
        description="The policy's escalation levels still to come, each after its target's breach."
    )
    earlier_breaches: list[EarlierBreach] = Field(
        description="Targets of this thread that breached and gave way to a new clock of their name (a "
        "next response to a later message, a reopen's resolution, a changed policy's): `breached` counts "
        "them."
    )


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
    survey: dict = Field(
        description="The survey: `status` (none, scheduled, sent, completed, expired, skipped), its "
        "instants, `rating` (the answer to this survey, once completed) and `earlier_rating` (an "
        "earlier survey's answer, while this one has none: a reopened conversation's second survey)."
    )
    pack_hash: str | None
    follows_run_id: str | None
    runs: int
    thread: int
    closed_at: datetime | None
    messages_count: int
    customer_messages: int
    agent_messages: int
    sends_waiting: int = Field(
        description="Sends (acknowledgements, replies) the channel did not take at once, retried in the "
        "background in order; 0 once each ended (`message.delivered` or `message.delivery_failed` on the "
        "trail)."
    )
    crm_writes_waiting: int = Field(description="CRM writes retried in the background the same way.")
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
                targets={name: _target_view(t) for name, t in state.sla.targets.items()},
                escalations=[_in_utc(e) for e in state.sla.escalations],
                earlier_breaches=state.sla.earlier_breaches,
            ),
            survey=_survey_view(state.survey),
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
                    "sends_waiting",
                    "crm_writes_waiting",
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
    last_activity_at: datetime | None = Field(
        description="The minute of the latest activity (the conversation's own `updated_at` is exact)."
    )


class DecisionTrail(BaseModel):
    conversation_id: str
    decisions: list[DecisionEntry]


def _survey_view(survey: SurveyState) -> dict[str, Any]:
    """The survey as GET shows it: `rating` is the answer to this survey, `earlier_rating` a
    previous one's (a reopened conversation's next survey showed the first answer as its own)."""
    view = survey.model_dump(mode="json")
    if survey.status == "scheduled":  # the instants left are an earlier survey's (sent, expired)
        view["sent_at"] = view["expires_at"] = None
    answered = survey.status == "completed"
    view["rating"] = survey.rating if answered else None
    view["earlier_rating"] = None if answered else survey.rating
    return view


def _target_view(target: SlaTarget) -> dict[str, Any]:
    """A target's clock as GET shows it: 0 minutes left once breached, none once met (its
    `met_at` says when). The state keeps the minutes of its last start, which read as the whole
    target left on a breached first response, and 480 on one met after 186 business minutes."""
    view = _in_utc(target).model_dump(mode="json")
    if target.breached_at is not None:
        view["remaining_minutes"] = 0.0
    elif target.met_at is not None:
        view["remaining_minutes"] = None
    return view


def _in_utc(clock: M) -> M:
    """`clock` with its instants in UTC: a deadline computed on the policy's calendar kept that
    calendar's offset (`2026-12-07T17:00:00+01:00` beside every other instant's `Z`)."""
    return clock.model_copy(
        update={k: v.astimezone(UTC) for k, v in dict(clock).items() if isinstance(v, datetime) and v.tzinfo}
    )


class ThreadView(ThreadSummary):
    status: Status


class ThreadList(BaseModel):
    """Every thread of a conversation, oldest first; the last is the current one."""

    conversation_id: str
    threads: list[ThreadView]

    @classmethod
    def of(cls, state: ConversationState) -> ThreadList:
        """Each thread with the seqs its events took while it was under way. What the workflow keeps
        is read here, so conversations recorded before this reading show it too: the first thread's
        first seq is kept as 0 (it is 1), and a closed thread's last seq as the conversation's seq
        when the next began, which the message beginning it had already taken. A send that ends
        after the next thread began is on its own thread's trail with a later seq (delivery.py)."""
        kept = [*state.threads, state.current_thread()]
        threads = []
        for number, thread in enumerate(kept, start=1):
            last = (
                thread.last_seq if number == len(kept) else min(thread.last_seq, kept[number].first_seq - 1)
            )
            shown = {**thread.model_dump(), "first_seq": max(thread.first_seq, 1), "last_seq": last}
            status = state.status if number == len(kept) else Status.CLOSED
            threads.append(ThreadView(status=status, **shown))
        return cls(conversation_id=state.external_id, threads=threads)


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]
    next: str | None = None
    """The next page: a link with the same filters and a `cursor` (null on the last page)."""
