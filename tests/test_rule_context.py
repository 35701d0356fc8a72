"""The context the workflow builds is exactly the documented contract rules are validated against."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.contracts.conversation import Attachment, ConversationState, InboundMessage, Party
from engine.rules.context import RuleContext
from workflows.conversation.rule_context import build_context

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def state(**changes) -> ConversationState:
    return ConversationState(
        conversation_id="conversation:acme:c-1",
        tenant="acme",
        external_id="c-1",
        channel="whatsapp",
        customer=Party(address="+4915100000001", name="Ada Lovelace"),
        created_at=NOW,
        updated_at=NOW,
        **changes,
    )


def test_every_field_the_workflow_fills_is_in_the_contract() -> None:
    message = InboundMessage(
        message_id="wamid.1",
        sender=Party(address="+4915100000001"),
        text="Hi",
        attachments=[Attachment(name="a.log")],
    )
    enriched = state(
        customer_profile={"id": "cus-1", "tier": "vip", "lifetime_value": 10.0, "custom": {"x": 1}},
        tags=["vip"],
        team="billing",
    )
    data = build_context(
        enriched,
        "message.received",
        NOW,
        depth=1,
        message=message,
        extra={"event": {"previous_status": "open"}, "survey": {"rating": 3}},
    )
    context = RuleContext.model_validate(data)  # extra fields are forbidden: a typo would fail here
    assert (
        context.customer.known
        and context.customer.tier == "vip"
        and context.customer.phone == "+4915100000001"
    )
    assert context.customer.first_name == "Ada" and context.customer.custom == {"x": 1}
    assert context.message.attachments[0].name == "a.log" and context.event.previous_status == "open"
    assert context.conversation.team == "billing" and context.survey.rating == 3


def test_unknown_customer_is_not_known() -> None:
    context = RuleContext.model_validate(build_context(state(), "conversation.created", NOW))
    assert context.customer.known is False and context.customer.email is None
