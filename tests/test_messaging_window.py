"""WhatsApp's 24-hour window for an agent's reply: free text within it, an approved template after.

The acknowledgement and the survey went out `template_only` after the window, and an agent's reply
went out as free text (`template_only: false`), which WhatsApp refuses: the customer never got it,
and the agent had no way to send a template.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish
from tests.outbox_rows import OutboxRows
from tests.test_lifecycle import sent


async def whatsapp(api: ApiClient, conversation: str, message_id: str, received_at: datetime | None) -> None:
    posted = await api.request(
        "POST",
        f"/v1/conversations/{conversation}/messages?wait=decided",
        json={
            "message_id": message_id,
            "channel": "whatsapp",
            "sender": {"address": "+4915112345678"},
            "text": "Where is my parcel?",
            **({"received_at": received_at.isoformat()} if received_at else {}),
        },
    )
    assert posted.status in (200, 201), posted.body


async def agent_reply(api: ApiClient, conversation: str, message_id: str, **body: str) -> tuple[int, dict]:
    answer = await api.request(
        "POST",
        f"/v1/conversations/{conversation}/replies",
        json={"agent_id": "agent-1", "message_id": message_id, **body},
    )
    return answer.status, answer.body


async def test_after_the_window_free_text_is_refused_and_a_template_goes_out_template_only(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await whatsapp(api, "wa-late", "wamid.1", datetime.now(UTC) - timedelta(hours=25))
    status, body = await agent_reply(api, "wa-late", "r-1", text="Sorry for the wait!")
    assert status == 409 and body["error"] == "outside_messaging_window", body
    assert body["fields"][0]["field"] == "text" and "template" in body["message"]
    status, body = await agent_reply(api, "wa-late", "r-2", template="no-such-template")
    assert status == 422 and body["fields"][0]["field"] == "template", body
    assert "reminder" in body["message"]  # it names the pack's templates
    status, body = await agent_reply(api, "wa-late", "r-3", template="reminder")
    assert status == 200 and body["delivery"] == "delivered", body
    (reply,) = sent(outbox, "agent_reply")
    assert reply["template"] == "reminder" and reply["template_only"] is True
    assert reply["text"] == "Are you still there?" and reply["language"] == "en"
    # The customer writes again: the window is open, free text goes out as free text.
    await whatsapp(api, "wa-late", "wamid.2", None)
    status, body = await agent_reply(api, "wa-late", "r-4", text="It left the depot today.")
    assert status == 200, body
    assert [m["template_only"] for m in sent(outbox, "agent_reply")] == [True, False]


async def test_a_reply_names_text_or_a_template_not_both_nor_neither(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await whatsapp(api, "wa-now", "wamid.1", None)
    status, body = await agent_reply(api, "wa-now", "r-1", text="Hi", template="reminder")
    assert status == 422 and body["fields"][0]["field"] == "template", body
    status, body = await agent_reply(api, "wa-now", "r-2", text="   ")
    assert status == 422 and body["fields"][0]["field"] == "text", body
    status, body = await agent_reply(api, "wa-now", "r-3", template="reminder")
    assert status == 200, body  # within the window a template is a message like any other


async def test_a_message_delivered_late_leaves_the_latest_message_s_time(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    """A gateway's retry delivered an older message after a newer one: the latest message's time
    moved back to it, and the 24-hour window was read from there (a survey went out as a template 90
    s after the customer wrote)."""
    publish(settings, TEST_PACKS / "timers")
    now = datetime.now(UTC).replace(microsecond=0)
    await whatsapp(api, "wa-order", "wamid.3", now - timedelta(hours=2))
    await whatsapp(api, "wa-order", "wamid.2", now - timedelta(hours=25))
    shown = (await api.get("wa-order")).body
    assert datetime.fromisoformat(shown["last_customer_message_at"]) == now - timedelta(hours=2)
    status, body = await agent_reply(api, "wa-order", "r-1", text="On its way!")
    assert status == 200, body
