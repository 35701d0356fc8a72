"""What a customer writes back after a solve: the survey's answer, an out-of-office, a real message.

The survey asks the customer to "reply with a number from 1 (poor) to 5 (great)". On SMS, WhatsApp or
email a reply is all they can do, and it reopened the conversation, started a response clock and lost
the rating. An out-of-office to a closed conversation began a thread of its own, which the customer's
real follow-up then joined without an acknowledgement or routing. Timers are seconds long
(tests/packs/timers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engine.service.config import Settings
from tests.api_client import ApiClient, trail
from tests.conftest import TEST_PACKS, publish
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.test_lifecycle import reply, sent, set_status, state


async def surveyed(api: ApiClient, outbox: OutboxRows, conversation: str) -> None:
    """Help asked, answered and solved; the survey sent (the timers pack sends it seconds later)."""
    await api.post_message(conversation, "m-1", "help (slow)")
    await reply(api, conversation)
    await set_status(api, conversation, "solved")

    async def survey_sent() -> bool:
        return (await state(api, conversation))["survey"]["status"] == "sent"

    await eventually(survey_sent, "the survey sent")


async def message(api: ApiClient, conversation: str, message_id: str, text: str, **fields: Any) -> dict:
    posted = await api.request(
        "POST",
        f"/v1/conversations/{conversation}/messages?wait=decided",
        json={
            "message_id": message_id,
            "channel": "email",
            "sender": {"address": "ada@example.com"},
            "text": text,
            **fields,
        },
    )
    assert posted.status == 200, posted.body
    return posted.body


async def test_a_rating_written_back_answers_the_survey_and_the_conversation_stays_solved(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await surveyed(api, outbox, "sr-1")
    answered = await message(api, "sr-1", "m-2", "4/5")
    assert answered["status"] == "solved" and answered["thread"] == 1, answered
    shown = await state(api, "sr-1")
    assert shown["status"] == "solved" and shown["reopened"] == 0, shown
    assert shown["survey"]["status"] == "completed" and shown["survey"]["rating"] == 4
    assert shown["customer_messages"] == 1  # the rating is the survey's, not a message to answer
    (entry,) = [e for e in await trail(api, "sr-1") if e["event"] == "survey.completed"]
    assert entry["message_id"] == "m-2" and entry["note"] == "answered by the customer's message"
    repeat = await message(api, "sr-1", "m-2", "4/5")
    assert repeat["duplicate"] is True and repeat["seq"] == entry["seq"]
    # Answered, a rating is a message like any other: it reopens.
    again = await message(api, "sr-1", "m-3", "5")
    assert again["status"] == "open" and (await state(api, "sr-1"))["survey"]["rating"] == 4


async def test_a_message_that_says_more_than_a_rating_reopens_as_before(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await surveyed(api, outbox, "sr-2")
    back = await message(api, "sr-2", "m-2", "2 more questions about my invoice")
    assert back["status"] == "open"
    shown = await state(api, "sr-2")
    assert shown["reopened"] == 1 and shown["survey"]["rating"] is None


async def test_a_rating_after_the_close_answers_the_closed_thread_s_survey(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    """Closed, the rating began a new thread with a fresh acknowledgement and routing, and the
    survey it answered was then refused with 409."""
    publish(settings, TEST_PACKS / "timers")
    await surveyed(api, outbox, "sr-3")
    await set_status(api, "sr-3", "closed")
    acknowledgements = len(sent(outbox, "auto_reply"))
    answered = await message(api, "sr-3", "m-2", "⭐⭐⭐⭐⭐")
    assert answered["status"] == "closed" and answered["thread"] == 1, answered
    shown = await state(api, "sr-3")
    assert shown["thread"] == 1 and shown["survey"]["rating"] == 5
    assert len(sent(outbox, "auto_reply")) == acknowledgements


async def test_an_out_of_office_to_a_closed_conversation_begins_no_thread(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("sr-4", "m-1", "help (slow)")
    await set_status(api, "sr-4", "closed")
    away = await message(api, "sr-4", "m-ooo", "I am out of the office until Monday.", auto_submitted=True)
    assert away["status"] == "closed" and away["thread"] == 1, away
    assert (await state(api, "sr-4"))["thread"] == 1
    (entry,) = [e for e in await trail(api, "sr-4") if e.get("message_id") == "m-ooo"]
    assert "out-of-office" in entry["note"]
    # The customer's real follow-up begins the next thread, acknowledged and routed as a new one.
    acknowledgements = len(sent(outbox, "auto_reply"))
    back = await message(api, "sr-4", "m-2", "My parcel is stuck at customs")
    assert back["thread"] == 2 and back["status"] == "open", back
    assert len(sent(outbox, "auto_reply")) == acknowledgements + 1


async def test_an_agent_solving_again_sends_no_second_survey_until_the_customer_writes(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    """solved -> open -> solved by the agent alone sent a customer who had rated 5 a second survey,
    and their second answer replaced the first in CSAT."""
    publish(settings, TEST_PACKS / "timers")
    await surveyed(api, outbox, "sr-5")
    rated = await api.request("POST", "/v1/conversations/sr-5/survey", json={"rating": 5})
    assert rated.status == 200, rated.body
    await set_status(api, "sr-5", "open")
    await set_status(api, "sr-5", "solved")
    last = [e for e in await trail(api, "sr-5") if e["event"] == "status.changed"][-1]
    (scheduled,) = [a for a in last["executed"] if a["action"]["type"] == "schedule_survey"]
    assert scheduled["outcome"] == "skipped" and "was answered" in scheduled["detail"], scheduled
    assert (await state(api, "sr-5"))["survey"]["status"] == "completed"
    # The customer writes again and it is solved again: their view of this solve is asked for.
    await message(api, "sr-5", "m-2", "It broke again (slow)")
    await set_status(api, "sr-5", "solved")
    assert (await state(api, "sr-5"))["survey"]["status"] in ("scheduled", "sent")


async def test_a_closed_thread_s_survey_is_shown_in_its_summary_and_named_when_refused(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    """Once the customer began thread 2, thread 1's survey was gone without a word: the threads
    listed no survey or rating, and an answer to it was refused as "survey none"."""
    publish(settings, TEST_PACKS / "timers")
    await surveyed(api, outbox, "sr-6")
    await set_status(api, "sr-6", "closed")
    back = await message(api, "sr-6", "m-2", "The parcel never came (slow)")
    assert back["thread"] == 2, back
    late = await api.request("POST", "/v1/conversations/sr-6/survey", json={"rating": 4})
    assert late.status == 409 and "thread 1's ended unanswered" in late.body["message"], late.body
    threads = (await api.request("GET", "/v1/conversations/sr-6/threads")).body["threads"]
    first = threads[0]
    assert (first["thread"], first["survey"], first["rating"]) == (1, "expired", None), threads


async def test_an_out_of_office_is_answered_with_the_status_it_leaves(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    """Answered when recorded, an out-of-office to a pending conversation said `open` of a
    conversation that stayed pending."""
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("sr-7", "m-1", "help (slow)")
    await set_status(api, "sr-7", "pending")
    away = await api.request(
        "POST",
        "/v1/conversations/sr-7/messages",  # answered when recorded, before its handling
        json={
            "message_id": "m-ooo",
            "channel": "email",
            "sender": {"address": "ada@example.com"},
            "text": "I am out of the office.",
            "auto_submitted": True,
        },
    )
    assert away.status == 200 and away.body["status"] == "pending", away.body


async def test_a_number_answering_the_agent_while_the_conversation_is_open_is_no_rating(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    """Reopened by the agent, the survey of the earlier solve still waited: "2", the answer to the
    agent's "how many units?", became a rating of 2 and the customer's message was not counted."""
    publish(settings, TEST_PACKS / "timers")
    await surveyed(api, outbox, "sr-8")
    await set_status(api, "sr-8", "pending")
    answered = await message(api, "sr-8", "m-2", "2")
    assert answered["status"] == "open", answered
    shown = await state(api, "sr-8")
    assert shown["survey"]["status"] == "sent" and shown["customer_messages"] == 2, shown


async def test_a_rating_written_on_whatsapp_opens_its_window_for_the_agent_s_thanks(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    """WhatsApp counts the customer's rating as their latest message; convoflow did not, and the
    agent's free-text thanks right after it was refused as outside the 24-hour window."""
    publish(settings, TEST_PACKS / "timers")
    yesterday = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    first = {"channel": "whatsapp", "sender": {"address": "+4915100000077"}}
    posted = await api.request(
        "POST",
        "/v1/conversations/sr-wa/messages?wait=decided",
        json={**first, "message_id": "wamid.1", "text": "help (slow)", "received_at": yesterday},
    )
    assert posted.status == 201, posted.body
    await set_status(api, "sr-wa", "solved")

    async def survey_sent() -> bool:
        return (await state(api, "sr-wa"))["survey"]["status"] == "sent"

    await eventually(survey_sent, "the survey sent")
    rated = await api.request(
        "POST",
        "/v1/conversations/sr-wa/messages?wait=decided",
        json={**first, "message_id": "wamid.2", "text": "5"},
    )
    assert rated.status == 200 and rated.body["status"] == "solved", rated.body
    thanks = await api.request(
        "POST",
        "/v1/conversations/sr-wa/replies",
        json={"agent_id": "agent-1", "message_id": "r-thanks", "text": "Thank you for the 5!"},
    )
    assert thanks.status == 200, thanks.body


def test_a_rating_is_a_digit_a_keycap_or_stars_and_nothing_more() -> None:
    from engine.contracts.survey_ratings import rating_of

    for text, rating in (("5", 5), (" 4/5 ", 4), ("3 stars", 3), ("5⭐️", 5), ("5️⃣", 5), ("★★", 2)):
        assert rating_of(text) == rating, text
    for text in ("0", "6", "4.5", "12", "five", "2 more questions", "5 stars, but it is still broken"):
        assert rating_of(text) is None, text


async def test_a_rating_written_in_french_or_german_answers_the_survey(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    """ "5 étoiles" and "4 Sterne" reopened the ticket and lost the rating: the recogniser knew English
    words only (helper-114)."""
    publish(settings, TEST_PACKS / "timers")
    await surveyed(api, outbox, "sr-fr")
    answered = await message(api, "sr-fr", "m-2", "5 étoiles !")
    assert answered["status"] == "solved", answered
    shown = await state(api, "sr-fr")
    assert shown["survey"]["status"] == "completed" and shown["survey"]["rating"] == 5, shown
    assert shown["reopened"] == 0


def test_a_rating_s_words_in_other_languages_are_read_where_asked() -> None:
    from engine.contracts.survey_ratings import rating_of

    for text, rating in (
        ("4 Sterne", 4),
        ("5 étoiles", 5),
        ("4 de 5", 4),
        ("5 estrelas", 5),
        ("3 sterren", 3),
        ("5 e\u0301toiles", 5),  # a Mac's decomposed é
        ("\uff15 étoiles", 5),  # a full-width 5
    ):
        assert rating_of(text, any_language=True) == rating, text
        assert rating_of(text) is None, text  # runs recorded before read them as messages, and replay so
    for text in ("4 Sterne, aber das Paket fehlt", "5 Sterne für die Lieferung und 1 für den Support"):
        assert rating_of(text, any_language=True) is None, text
