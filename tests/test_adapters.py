"""Channel and CRM adapters against real local servers: a webhook gateway, an SMTP server, a REST CRM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.channels import _UrlTarget
from activities.crm import CrmActivities, LocalCrm, RestCrm
from activities.webhook_gateway import WebhookGateway
from engine import webhook_signature
from engine.cli import main
from engine.contracts.crm import Customer, CustomerQuery
from engine.contracts.outbound import OutboundMessage
from engine.rules.validation import validate
from engine.service import logging_setup
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.pack_files import load_source
from tests.api_client import ApiClient, Reply, trail
from tests.conftest import TEST_PACKS, publish, serve_service
from tests.late_sends import delivered_late
from tests.local_servers import (
    FakeCrm,
    FakeGateway,
    refusing_port,
    serve_app,
    serve_crm,
    serve_gateway,
    serve_smtp,
)
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.replay import replay_every_run

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="


def with_gateway(settings: Settings, gateway: FakeGateway) -> Settings:
    return settings.model_copy(update={"gateway_url": gateway.url, "gateway_secret": _secret(SECRET)})


def _secret(value: str):
    from pydantic import SecretStr

    return SecretStr(value)


async def whatsapp(api: ApiClient, conversation: str, text: str = "Hi there") -> None:
    answer = await api.post_message(
        conversation, "wamid.1", text, channel="whatsapp", sender="+4915100000001"
    )
    assert answer.status == 201, answer.body


# -- webhook gateway -----------------------------------------------------------------------------


async def test_gateway_receives_a_signed_message_with_its_key(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    async with serve_gateway(FakeGateway()) as gateway:
        async with serve_service(client, with_gateway(settings, gateway), tenants) as api:
            await whatsapp(api, "wa-1")
        assert len(gateway.requests) == 1
        received = gateway.requests[0]
        first_run = (await client.get_workflow_handle(api.workflow_id("wa-1")).describe()).run_id
        key = f"{api.workflow_id('wa-1')}:{first_run}:1:0"
        assert received.headers["Idempotency-Key"] == key
        assert webhook_signature.verify(SECRET, received.headers, received.body, int(time.time())) == key
        assert received.json["to"] == "+4915100000001" and received.json["channel"] == "whatsapp"
        assert received.json["text"].startswith("Hi") and received.json["kind"] == "auto_reply"
    assert not settings.outbox_path.exists()


async def test_gateway_5xx_is_retried_and_delivered_once(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    async with serve_gateway(FakeGateway(statuses=[503, 502])) as gateway:
        async with serve_service(client, with_gateway(settings, gateway), tenants) as api:
            await whatsapp(api, "wa-2")
            executed = (await delivered_late(api, "wa-2"))[0]["executed"][0]
        keys = [r.headers["Idempotency-Key"] for r in gateway.requests]
        assert len(keys) == 3 and len(set(keys)) == 1
        assert list(gateway.accepted) == keys[:1]
        assert executed["outcome"] == "done"


async def test_gateway_4xx_is_not_retried_and_recorded_as_failed(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    async with serve_gateway(FakeGateway(statuses=[422])) as gateway:
        async with serve_service(client, with_gateway(settings, gateway), tenants) as api:
            await whatsapp(api, "wa-3")
            executed = (await trail(api, "wa-3"))[0]["executed"][0]
        assert len(gateway.requests) == 1
        assert executed["outcome"] == "failed" and "HTTP 422" in executed["detail"]


async def test_a_gateway_s_429_is_tried_again_after_its_retry_after_not_failed(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """Every SMS and WhatsApp provider answers 429 to a burst: read as a refusal, the acknowledgement
    failed for good ("GatewayRejected ... HTTP 429") and the customer heard nothing."""
    async with serve_gateway(FakeGateway(statuses=[429, 429], retry_after="2")) as gateway:
        async with serve_service(client, with_gateway(settings, gateway), tenants) as api:
            await whatsapp(api, "wa-429")
            executed = (await delivered_late(api, "wa-429"))[0]["executed"][0]
        keys = [r.headers["Idempotency-Key"] for r in gateway.requests]
        assert len(keys) == 3 and len(set(keys)) == 1 and list(gateway.accepted) == keys[:1]
        assert executed["outcome"] == "done"
        # Every try after one answered 429 waits as the gateway asked: the background's first too (it
        # came 36 ms after the first attempt's 429).
        times = gateway.arrival_times
        assert times[1] - times[0] >= 2 and times[2] - times[1] >= 2, times


def test_retry_after_is_read_in_seconds_or_as_a_date_and_bounded() -> None:
    from datetime import UTC, datetime, timedelta

    from activities.http_outcome import retry_delay

    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert retry_delay("120") == timedelta(seconds=120)
    assert retry_delay("Mon, 07 Dec 2026 12:00:30 GMT", now) == timedelta(seconds=30)
    assert retry_delay("999999") == timedelta(minutes=15)  # a send's retries end after an hour
    assert retry_delay("120", longest=timedelta(seconds=10)) == timedelta(seconds=10)  # a CRM lookup
    assert retry_delay("0") == timedelta(seconds=1)
    assert retry_delay("soon") is None and retry_delay(None) is None
    assert retry_delay("9" * 5000) == timedelta(minutes=15) and retry_delay("²") is None  # no crash


async def test_a_chat_visitor_known_by_email_is_answered_in_the_chat_not_by_mail(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """A chat widget names its visitor by an email address: the acknowledgement and the agent's reply
    went out by SMTP (the address had an "@"), so the visitor, waiting in the chat, saw nothing."""
    with serve_smtp() as (port, inbox):
        async with serve_gateway(FakeGateway()) as gateway:
            chosen = with_gateway(settings, gateway).model_copy(
                update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
            )
            async with serve_service(client, chosen, tenants) as api:
                answer = await api.post_message(
                    "chat-1", "cm-1", "Hi from the widget", channel="chat", sender="vic@shopper.example"
                )
                assert answer.status == 201, answer.body
                reply = await api.request(
                    "POST",
                    "/v1/conversations/chat-1/replies",
                    json={"agent_id": "a-1", "text": "Hello in the chat", "message_id": "cr-1"},
                )
                assert reply.status == 200, reply.body

                async def both_at_the_gateway() -> bool:
                    return len(gateway.accepted) == 2

                await eventually(both_at_the_gateway, "the acknowledgement and the reply at the gateway")
        kinds = [(r.json["channel"], r.json["kind"], r.json["to"]) for r in gateway.requests]
        assert kinds == [
            ("chat", "auto_reply", "vic@shopper.example"),
            ("chat", "agent_reply", "vic@shopper.example"),
        ]
        assert inbox.messages == []


async def test_worker_killed_during_a_send_produces_no_second_message(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    from engine.service.worker import build_worker
    from tests.conftest import serve_api

    gateway = FakeGateway(hold=asyncio.Event())
    async with serve_gateway(gateway):
        chosen = with_gateway(settings, gateway)
        async with serve_api(client, chosen, tenants) as api:
            worker = build_worker(client, chosen)
            running = asyncio.create_task(worker.run())
            posting = asyncio.create_task(whatsapp(api, "wa-4"))
            await asyncio.wait_for(gateway.arrived.wait(), 15)
            await worker.shutdown()  # the send is in flight: the gateway has it, the worker is gone
            await asyncio.gather(running, return_exceptions=True)
            gateway.hold.set()
            async with build_worker(client, chosen):
                await asyncio.wait_for(posting, 60)

                async def accepted() -> bool:  # the send may go on in the background after the answer
                    return bool(gateway.accepted)

                await eventually(accepted, "the acknowledgement at the gateway")
        keys = [r.headers["Idempotency-Key"] for r in gateway.requests]
    assert len(keys) >= 2 and len(set(keys)) == 1  # the retry carried the same key ...
    assert len(gateway.accepted) == 1  # ... so the far side keeps one message
    assert await replay_every_run(client, chosen.task_queue) == 1


# -- inbound webhook -----------------------------------------------------------------------------


async def test_inbound_webhook_signed_accepted_tampered_and_stale_rejected(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    chosen = settings.model_copy(update={"gateway_secret": _secret(SECRET)})
    body = (
        b'{"type":"message.inbound","channel":"whatsapp","conversation_id":"wa-in-1",'
        b'"message_id":"wamid.77","sender":{"address":"+4915100000002"},"text":"Hallo"}'
    )
    path = f"/v1/inbound/webhook/{tenants['acme']}"
    now = int(time.time())
    async with serve_service(client, chosen, tenants) as api:
        signed = webhook_signature.headers(SECRET, "evt-1", now, body)
        accepted = await api.request("POST", path, data=body, tenant=None, headers=signed)
        assert accepted.status == 201 and accepted.body["conversation_id"] == "wa-in-1"
        replay = await api.request("POST", path, data=body, tenant=None, headers=signed)
        assert replay.status == 200 and replay.body["duplicate"] is True
        # A gateway whose webhook URL carries a parameter of its own is still heard (every other
        # route refuses one it does not declare; a 422 here would lose the message).
        tracked = await api.request(
            "POST", path + "?utm_source=gateway", data=body, tenant=None, headers=signed
        )
        assert tracked.status == 200 and tracked.body["duplicate"] is True, tracked.body
        tampered = await api.request(
            "POST",
            path,
            data=body.replace(b"Hallo", b"Hello"),
            tenant=None,
            headers=webhook_signature.headers(SECRET, "evt-2", now, body),
        )
        assert tampered.status == 401 and "does not match" in tampered.body["message"]
        stale = await api.request(
            "POST",
            path,
            data=body,
            tenant=None,
            headers=webhook_signature.headers(SECRET, "evt-3", now - 3600, body),
        )
        assert stale.status == 401 and "window" in stale.body["message"]
        unsigned = await api.request("POST", path, data=body, tenant=None)
        assert unsigned.status == 401

        async def handled() -> bool:  # answered when recorded: counted once handled
            return (await api.get("wa-in-1")).body["customer_messages"] >= 1

        await eventually(handled, "the webhook's message handled")
        assert (await api.get("wa-in-1")).body["customer_messages"] == 1


async def test_a_gateway_s_photo_its_time_and_subject_reach_the_conversation(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """The webhook took `text`, `sender` and `language` alone and dropped the rest without a word:
    a WhatsApp photo was a conversation of no text whose rules never saw the file, its clocks counted
    from when the API took it, not when the customer wrote."""
    publish(settings, TEST_PACKS / "coverage")  # a file over 1 MB tags the conversation large-file
    chosen = settings.model_copy(update={"gateway_secret": _secret(SECRET)})
    path = f"/v1/inbound/webhook/{tenants['acme']}"
    wrote = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    photo = {
        "type": "message.inbound",
        "channel": "whatsapp",
        "conversation_id": "wa-photo",
        "message_id": "wamid.p1",
        "sender": {"address": "+4915100000003"},
        "attachments": [{"name": "IMG_0042.jpg", "content_type": "image/jpeg", "size": 2_400_000}],
        "received_at": wrote.isoformat(),
        "media_url": "https://gateway.example/media/42",  # the gateway's own: ignored, not refused
    }
    async with serve_service(client, chosen, tenants) as api:

        async def signed(body: dict[str, object], webhook_id: str) -> Reply:
            data = json.dumps(body).encode()
            headers = webhook_signature.headers(SECRET, webhook_id, int(time.time()), data)
            return await api.request("POST", path, data=data, tenant=None, headers=headers)

        accepted = await signed(photo, "evt-photo")
        assert accepted.status == 201, accepted.body

        async def tagged() -> bool:
            return "large-file" in (await api.get("wa-photo")).body["tags"]

        await eventually(tagged, "the rules saw the photo")
        shown = (await api.get("wa-photo")).body
        assert datetime.fromisoformat(shown["first_customer_message_at"]) == wrote
        # A gateway's media in a field and a shape of its own: the message is taken, never refused
        # (a gateway does not retry a 4xx), the fields it cannot be read from left out.
        own = {
            **photo,
            "conversation_id": "wa-photo-2",
            "message_id": "wamid.p2",
            "attachments": [{"url": "https://gateway.example/media/43"}],
            "received_at": 1796000000,
        }
        own["sender"] = {"address": "+4915100000003", "profile": {"name": "Zoe"}}  # WhatsApp Cloud's
        own["language"] = "english-uk"  # a gateway's own name for it, no BCP 47 tag
        taken = await signed(own, "evt-own-shapes")
        assert taken.status == 201, taken.body
        # What is the message's own is never guessed: a sender of the wrong shape is a 422.
        broken = await signed({**own, "message_id": "wamid.p3", "sender": "+4915100000003"}, "evt-broken")
        assert broken.status == 422, broken.body  # named alone, not with the fields it leaves out
        assert [f["field"] for f in broken.body["fields"]] == ["sender"], broken.body


# -- email ---------------------------------------------------------------------------------------


def raw_email(message_id: str, text: str, *, subject: str = "Invoice question", extra: str = "") -> bytes:
    return (
        f"From: Ada Lovelace <ada@customer.example>\r\nTo: support@convoflow.local\r\n"
        f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    ).encode()


async def test_email_threading_inbound_and_auto_replies(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    with serve_smtp() as (port, inbox):
        chosen = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
        )
        async with serve_service(client, chosen, tenants) as api:
            first = await api.request(
                "POST",
                "/v1/inbound/email",
                data=raw_email("<m1@customer.example>", "My invoice is wrong"),
                headers={"Content-Type": "message/rfc822"},
            )
            assert first.status == 201, first.body
            conversation = first.body["conversation_id"]
            # Answered when recorded: the acknowledgement follows once the rules ran.
            await eventually(lambda: _holds(len(inbox.messages) >= 1), "the acknowledgement sent")
            assert len(inbox.messages) == 1
            ack = inbox.messages[0]
            assert ack["In-Reply-To"] == "<m1@customer.example>"
            assert ack["Subject"] == "Re: Invoice question"
            assert ack["Auto-Submitted"] == "auto-replied"
            assert ack.get_content_type() == "multipart/alternative"
            assert {p.get_content_type() for p in ack.iter_parts()} == {"text/plain", "text/html"}
            assert inbox.envelopes[0][1] == ["ada@customer.example"]

            # The customer answers our acknowledgement: same conversation, found from the headers.
            follow_up = raw_email(
                "<m2@customer.example>",
                "Any news?",
                subject="Re: Invoice question",
                extra=f"In-Reply-To: {ack['Message-ID']}\r\nReferences: <m1@customer.example> "
                f"{ack['Message-ID']}\r\n",
            )
            second = await api.request("POST", "/v1/inbound/email", data=follow_up)
            assert second.status == 200 and second.body["conversation_id"] == conversation

            async def both_counted() -> bool:
                return (await api.get(conversation)).body["customer_messages"] == 2

            await eventually(both_counted, "the follow-up handled")

            # An agent reply threads under the latest customer message.
            await api.request(
                "POST",
                f"/v1/conversations/{conversation}/replies",
                json={"agent_id": "a-1", "text": "Fixed.", "message_id": "r-1"},
            )
            reply = inbox.messages[-1]
            assert reply["In-Reply-To"] == "<m2@customer.example>"
            assert "<m1@customer.example>" in reply["References"] and reply["Auto-Submitted"] is None

            # An out-of-office reply and a bounce are recognised and not answered.
            sent_before = len(inbox.messages)
            ooo = await api.request(
                "POST",
                "/v1/inbound/email",
                data=raw_email(
                    "<ooo@customer.example>",
                    "I am away",
                    subject="Out of office",
                    extra="Auto-Submitted: auto-replied\r\n",
                ),
            )
            assert ooo.status == 201

            async def tagged() -> bool:
                return (await api.get(ooo.body["conversation_id"])).body["tags"] == ["automated"]

            await eventually(tagged, "the out-of-office handled")
            assert len(inbox.messages) == sent_before


async def test_threading_headers_carry_only_message_ids_a_mail_client_holds(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """An integrator's own message id ("m-1", the README's walk-through) and the id derived for a mail
    that had none went out as In-Reply-To and References: no message id (RFC 5322 wants
    `<left@right>`), and none the customer's mail client holds to thread under."""
    with serve_smtp() as (port, inbox):
        chosen = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
        )
        async with serve_service(client, chosen, tenants) as api:
            answer = await api.post_message(
                "api-1", "m-1", "Where is my parcel?", sender="ada@customer.example"
            )
            assert answer.status == 201, answer.body
            without_id = (
                b"From: Ben <ben@customer.example>\r\nTo: support@convoflow.local\r\nSubject: Hello\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\n\r\nMy mail client wrote no Message-ID\r\n"
            )
            mailed = await api.request(
                "POST", "/v1/inbound/email", data=without_id, headers={"Content-Type": "message/rfc822"}
            )
            assert mailed.status == 201, mailed.body
            await eventually(lambda: _holds(len(inbox.messages) == 2), "both acknowledgements sent")
            acks = {m["To"]: m for m in inbox.messages}
            for ack in acks.values():
                assert (ack["In-Reply-To"], ack["References"]) == (None, None)

            # The customer's next message has a real id: the reply threads under it alone.
            again = await api.post_message(
                "api-1", "<m2@customer.example>", "Any news?", sender="ada@customer.example"
            )
            assert again.status == 200, again.body
            replied = await api.request(
                "POST",
                "/v1/conversations/api-1/replies",
                json={"agent_id": "a-1", "text": "Tomorrow.", "message_id": "r-1"},
            )
            assert replied.status == 200, replied.body
            await eventually(lambda: _holds(len(inbox.messages) == 3), "the reply sent")
        reply = inbox.messages[-1]
        assert (reply["In-Reply-To"], reply["References"]) == (
            "<m2@customer.example>",
            "<m2@customer.example>",
        )
        # RFC 5322 3.3: "-0000" says the time's zone is unknown; ours is UTC, "+0000".
        assert str(reply["Date"]).endswith(" +0000"), reply["Date"]


def test_a_reply_s_lines_stay_lines_in_its_html_part() -> None:
    """Mail clients show the HTML part: a reply's single line breaks (a list, a signature, a quoted
    line) ran together on one line there, though the plain part kept them."""
    from email.message import EmailMessage

    from activities.email_channel import build_email

    text = "Para one\n\nSteps:\n1. <restart>\n2. retry & wait\n--\nAda, support"
    reply = OutboundMessage(
        idempotency_key="conversation:acme:c-1:run:1:0",
        conversation_id="conversation:acme:c-1",
        tenant="acme",
        channel="email",
        to="ben@customer.example",
        kind="agent_reply",
        text=text,
    )
    mail = build_email(reply, "support@convoflow.example", "convoflow.example")
    parts = {p.get_content_type(): p for p in mail.iter_parts()}
    html_part, plain_part = parts["text/html"], parts["text/plain"]
    assert isinstance(html_part, EmailMessage) and isinstance(plain_part, EmailMessage)
    body = html_part.get_content()
    assert "<p>Para one</p>" in body
    assert "<p>Steps:<br>1. &lt;restart&gt;<br>2. retry &amp; wait<br>--<br>Ada, support</p>" in body
    assert plain_part.get_content().replace("\r\n", "\n").rstrip("\n") == text


def test_a_customer_message_id_written_without_angle_brackets_is_still_replied_under() -> None:
    """A client that wrote `Message-ID: x74@customer.example` got acknowledgements with no
    In-Reply-To or References: its mail client showed them outside the customer's thread."""
    from activities.email_channel import build_email

    reply = OutboundMessage(
        idempotency_key="conversation:acme:c-2:run:1:0",
        conversation_id="conversation:acme:c-2",
        tenant="acme",
        channel="email",
        to="ben@customer.example",
        kind="auto_reply",
        text="Thanks, we got it",
        in_reply_to="x74-nobrackets@customer.example",
        references=["<earlier@customer.example>", "m-1"],  # an integrator's own id is no mail's
    )
    mail = build_email(reply, "support@convoflow.example", "convoflow.example")
    assert mail["In-Reply-To"] == "<x74-nobrackets@customer.example>"
    assert mail["References"] == "<earlier@customer.example> <x74-nobrackets@customer.example>"


async def test_a_reply_to_an_address_that_is_not_one_mailbox_fails_for_good_and_says_no_address() -> None:
    """A conversation taken before the API checked its sender's address: the relay refused the list
    on every retry, each logged with a traceback quoting the address; a second address in it would
    have had the reply."""
    from activities.email_channel import EmailChannel

    with serve_smtp() as (port, inbox):
        channel = EmailChannel("127.0.0.1", port, "support@convoflow.example")
        reply = OutboundMessage(
            idempotency_key="conversation:acme:old-1:run:1:0",
            conversation_id="conversation:acme:old-1",
            tenant="acme",
            channel="email",
            to="John Smith, john.smith@customer.example",
            kind="agent_reply",
            text="Your refund is on its way",
        )
        with pytest.raises(ApplicationError) as refused:
            await channel.send(reply)
        assert refused.value.non_retryable and refused.value.type == "DeliveryRejected"
        assert "john" not in str(refused.value).lower()
        await channel.send(reply.model_copy(update={"to": "john.smith@customer.example"}))
        assert [envelope[1] for envelope in inbox.envelopes] == [["john.smith@customer.example"]]
        # A rule's notification may name its recipients as a header does (packs published so kept
        # working): only a customer's address must be one mailbox.
        notice = reply.model_copy(update={"kind": "notification", "to": "Ops <ops@convoflow.example>"})
        await channel.send(notice)
        assert inbox.envelopes[-1][1] == ["ops@convoflow.example"]


async def test_a_mail_the_relay_refuses_for_good_at_data_fails_at_once_a_later_refusal_is_retried() -> None:
    """A 5xx answer to DATA (too large, content refused) is the relay's final word on that mail: it
    was retried for an hour as if the relay were down, the reply shown as waiting meanwhile."""
    from activities.email_channel import EmailChannel

    with serve_smtp() as (port, inbox):
        channel = EmailChannel("127.0.0.1", port, "support@convoflow.example")
        reply = zoe_reply("Here are the 40 screenshots")
        inbox.refuse_data = "552 5.3.4 Message size exceeds fixed limit"
        with pytest.raises(ApplicationError) as refused:
            await channel.send(reply)
        assert refused.value.non_retryable and refused.value.type == "DeliveryRejected"
        assert refused.value.message == "message refused: SMTP 552"
        inbox.refuse_data = "451 4.3.0 Try again later"
        with pytest.raises(ApplicationError) as later:
            await channel.send(reply)
        assert not later.value.non_retryable and later.value.type == "SmtpUnavailable"
        inbox.refuse_data = None
        await channel.send(reply)
        assert [envelope[1] for envelope in inbox.envelopes] == [["zoe@customer.example"]]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_relay_that_refuses_the_login_says_so_and_the_mail_goes_once_it_is_mended() -> None:
    """A wrong CONVOFLOW_SMTP_PASSWORD read "SMTP unavailable" in every log line, as a relay down
    does: ops had nothing to act on. Still retried: the mail goes out once the password is mended."""
    from activities.email_channel import EmailChannel

    with serve_smtp(login=("relay", "right")) as (port, inbox):
        reply = zoe_reply("Your refund is on its way")
        ours = "support@convoflow.example"
        wrong = EmailChannel("127.0.0.1", port, ours, username="relay", password="wrong")
        with pytest.raises(ApplicationError) as refused:
            await wrong.send(reply)
        assert (refused.value.type, refused.value.non_retryable) == ("SmtpLoginRefused", False)
        assert "CONVOFLOW_SMTP_PASSWORD" in refused.value.message and "wrong" not in refused.value.message
        assert inbox.messages == []
        mended = EmailChannel("127.0.0.1", port, ours, username="relay", password="right")
        await mended.send(reply)
        assert [envelope[1] for envelope in inbox.envelopes] == [["zoe@customer.example"]]
        # A From the relay will not send as is the operator's too; greylisting (4xx) is the relay's.
        for answer, kind in (
            ("553 5.7.1 not yours", "SmtpSenderRefused"),
            ("451 4.7.1 later", "SmtpUnavailable"),
        ):
            inbox.refuse_sender = answer
            with pytest.raises(ApplicationError) as sender:
                await mended.send(reply)
            assert (sender.value.type, sender.value.non_retryable) == (kind, False), answer


async def test_mail_goes_out_under_the_support_team_s_name() -> None:
    """`From: support@convoflow.local` alone: no setting gave the name a customer's mail client shows
    (`Acme Support`), for the deployment or a tenant's mailbox."""
    from activities.email_channel import EmailChannel
    from engine.service.mail_intake import support_addresses
    from engine.service.worker import tenant_senders

    mailbox = {"name": "acme", "tenant": "acme", "host": "imap.example.com", "user": "s@acme.example"}
    named = {"address": "help@acme.example", "display_name": "Acme Hilfe"}
    mailboxes = [{**mailbox, "password_env": "X", **named}]
    chosen = Settings(email_from_name="Convoflow Support", mailboxes=json.dumps(mailboxes))
    with serve_smtp() as (port, inbox):
        channel = EmailChannel(
            "127.0.0.1",
            port,
            "support@convoflow.example",
            sender_name=chosen.email_from_name,
            tenant_senders=tenant_senders(chosen),
        )
        for tenant in ("globex", "acme"):
            await channel.send(zoe_reply("Your refund is on its way", tenant=tenant))
    assert [str(m["From"]) for m in inbox.messages] == [
        "Convoflow Support <support@convoflow.example>",
        "Acme Hilfe <help@acme.example>",
    ]
    assert [e[0] for e in inbox.envelopes] == ["support@convoflow.example", "help@acme.example"]
    # A loop ops released into a conversation: its replies would go to ourselves and come back, from
    # any mailbox the deployment reads (a tenant's second one too: helper-124).
    second = {**mailbox, "name": "acme-2", "user": "orders@acme.example", "password_env": "X"}
    reading = chosen.model_copy(update={"mailboxes": json.dumps([*mailboxes, second])})
    guarded = EmailChannel(
        "127.0.0.1",
        1,  # never reached: refused before connecting
        "support@convoflow.example",
        tenant_senders=tenant_senders(reading),
        own_addresses=[a for found in support_addresses(reading.mailboxes).values() for a in found],
    )
    for ours in ("Help@Acme.example", "support@convoflow.example", "orders@acme.example"):
        with pytest.raises(ApplicationError) as loop:
            await guarded.send(zoe_reply("Again").model_copy(update={"to": ours}))
        assert (loop.value.type, loop.value.non_retryable) == ("DeliveryRejected", True), ours
        assert "a mail loop" in loop.value.message
    assert len(inbox.messages) == 2


async def test_inbound_email_without_from_is_quarantined(api: ApiClient) -> None:
    """No one to answer: not a conversation, but not lost either (202, the quarantine id)."""
    reply = await api.request(
        "POST", "/v1/inbound/email", data=b"Subject: hi\r\nMessage-ID: <x@y>\r\n\r\nbody"
    )
    assert reply.status == 202 and reply.body["reason"] == "no_sender", reply.body
    assert reply.body["quarantine_id"].startswith("q_")


# -- CRM -----------------------------------------------------------------------------------------


async def test_local_crm_enriches_and_rules_write_back(
    client: Client, settings: Settings, tenants: dict[str, str], tmp_path: Path
) -> None:
    publish(settings, TEST_PACKS / "crm")
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(
        "id,email,name,first_name,tier,lifetime_value,language,plan\n"
        "cus-1,ada@example.com,Ada Lovelace,Ada,vip,4800,de,beta\n"
    )
    database = database_of(settings)
    crm = LocalCrm(database)
    assert await crm.import_csv(tenants["acme"], csv_file) == 1
    async with serve_service(client, settings, tenants) as api:
        await api.post_message("crm-1", "m-1", "Hello")
        conversation = (await api.get("crm-1")).body
        created = (await trail(api, "crm-1"))[0]
    assert conversation["tags"] == ["vip", "beta"] and conversation["priority"] == "high"
    assert conversation["language"] == "de"
    vip = next(r for r in created["decision"]["rules"] if r["id"] == "vip")
    assert vip["reads"] == {"customer.known": True, "customer.tier": "vip", "customer.lifetime_value": 4800.0}
    assert await crm.notes(tenants["acme"], "cus-1") == ["VIP conversation opened"]
    assert (await crm.lookup_custom(tenants["acme"], "cus-1"))["last_contact_channel"] == "email"
    await database.dispose()
    ack = OutboxRows(settings).read_all()
    assert ack[0]["text"] == "Hallo Ada, danke für Ihre Nachricht."


async def test_a_customer_is_found_by_any_form_of_their_phone_number(
    client: Client, settings: Settings, tenants: dict[str, str], tmp_path: Path
) -> None:
    """The lookup compared numbers as written: the CSV's `+49 151 0000 0300` never matched the SMS
    gateway's `+4915100000300`, and WhatsApp's Cloud API (`4915100000301`, no `+`) was not looked up
    at all: a VIP writing on WhatsApp was an unknown customer on the standard SLA."""
    publish(settings, TEST_PACKS / "crm")
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(
        "id,phone,name,first_name,tier,lifetime_value\n"
        "cus-sms,+49 151 0000 0300,Grace Hopper,Grace,vip,5000\n"
        "cus-wa,+4915100000301,Alan Turing,Alan,vip,5000\n"
        "cus-trunk,+49 (0)151 0000 0302,Ada Byron,Ada,vip,5000\n"
    )
    database = database_of(settings)
    assert await LocalCrm(database).import_csv(tenants["acme"], csv_file) == 3
    await database.dispose()
    async with serve_service(client, settings, tenants) as api:
        for conversation, channel, sender in (
            ("crm-sms", "sms", "+4915100000300"),
            ("crm-wa", "whatsapp", "4915100000301"),
            ("crm-abroad", "sms", "0049 151 0000 0300"),
            ("crm-trunk", "whatsapp", "4915100000302"),  # the CSV's +49 (0)151 ...: dialled at home
        ):
            posted = await api.post_message(conversation, "m-1", "Hello", channel=channel, sender=sender)
            assert posted.status == 201, posted.body
            shown = (await api.get(conversation)).body
            assert "vip" in shown["tags"] and shown["priority"] == "high", (conversation, shown)


async def test_rest_crm_lookup_and_write_back(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "crm")
    fake = FakeCrm(
        customers={
            "ada@example.com": {
                "id": "c-9",
                "first_name": "Ada",
                "tier": "vip",
                "lifetime_value": 2000,
                "email": "ada@example.com",
            }
        }
    )
    async with serve_crm(fake):
        chosen = settings.model_copy(
            update={
                "crm": "rest",
                "crm_url": fake.url,
                "crm_auth_header": "X-Api-Key",
                "crm_token": _secret("crm-token-1"),
            }
        )
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("rest-1", "m-1", "Hello")
            await api.post_message("rest-2", "m-1", "Hello", sender="nobody@example.com")
            known = (await api.get("rest-1")).body
            unknown = (await api.get("rest-2")).body
    assert known["tags"] == ["vip"] and unknown["tags"] == []
    assert [p[:2] for p in fake.patches] == [("c-9", {"last_contact_channel": "email"})]
    assert [n[:2] for n in fake.notes] == [("c-9", {"text": "VIP conversation opened"})]
    assert fake.patches[0][2].startswith(api.workflow_id("rest-1"))
    assert set(fake.auth) == {"crm-token-1"}


async def test_crm_down_the_conversation_continues_and_says_so(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "crm")
    with refusing_port() as port:
        chosen = settings.model_copy(update={"crm": "rest", "crm_url": f"http://127.0.0.1:{port}/api"})
        async with serve_service(client, chosen, tenants) as api:
            answer = await api.post_message("down-1", "m-1", "Hello")
            created = (await trail(api, "down-1"))[0]
    assert answer.status == 201
    assert created["note"].startswith("CRM unavailable") and "continued without enrichment" in created["note"]
    assert [e["action"]["type"] for e in created["executed"]] == ["reply"]
    assert len(OutboxRows(settings).read_all()) == 1


async def test_a_crm_record_too_large_to_keep_is_left_out_and_said(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """A CRM answering 3 MB for a customer (a note history in a custom field) made the lookup's result
    larger than Temporal takes: the workflow task failed at every attempt, every message 503."""
    publish(settings, TEST_PACKS / "crm")
    record = {"id": "c-9", "tier": "vip", "email": "ada@example.com", "custom": {"notes": "n" * 3_000_000}}
    fake = FakeCrm(customers={"ada@example.com": record})
    async with serve_crm(fake):
        chosen = settings.model_copy(update={"crm": "rest", "crm_url": fake.url})
        async with serve_service(client, chosen, tenants) as api:
            answer = await api.post_message("big-1", "m-1", "Hello")
            created = (await trail(api, "big-1"))[0]
            again = await api.post_message("big-1", "m-2", "Hello again")
    assert answer.status == 201 and again.status == 200
    assert created["note"].startswith("CRM unavailable") and "larger than" in created["note"]
    assert [e["action"]["type"] for e in created["executed"]] == ["reply"]  # no VIP rule: no record


async def test_a_rest_crm_record_sent_in_chunks_is_not_read_past_the_bound() -> None:
    """Without a Content-Length the body is read until the bound, and the CRM's answer then
    refused: a CRM streaming without end costs the worker 64 KB, not its memory."""
    sent: list[int] = []

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"id": "c-9", "custom": {"notes": "')
        with contextlib.suppress(ConnectionError):
            for _ in range(2_000):  # 32 MB if read whole
                await response.write(b"n" * 16_384)
                sent.append(16_384)
        return response

    async def small(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b'{"id": "c-1", ', b'"tier": "vip"}'):
            await response.write(part)
        return response

    app = web.Application()
    app.router.add_get("/endless/customers", endless)
    app.router.add_get("/small/customers", small)
    query = CustomerQuery(tenant="acme", email="ada@example.com")
    async with serve_app(app) as server:
        endless_crm = CrmActivities(RestCrm(str(server.make_url("/endless"))))
        small_crm = CrmActivities(RestCrm(str(server.make_url("/small"))))
        try:
            with pytest.raises(ApplicationError) as refused:
                await endless_crm.lookup_customer(query)
            found = await small_crm.lookup_customer(query)
        finally:
            await endless_crm.close()
            await small_crm.close()
    assert refused.value.type == "CrmRecordTooLarge" and refused.value.non_retryable
    assert sum(sent) < 2_000 * 16_384  # the worker stopped reading and let go: the server was cut off
    assert found is not None and (found.id, found.tier) == ("c-1", "vip")


async def test_a_local_crm_row_too_large_to_keep_is_refused_for_good(
    settings: Settings, tmp_path: Path
) -> None:
    csv_file = tmp_path / "customers.csv"
    cells = ",".join("x" * 30_000 for _ in range(3))
    csv_file.write_text(f"id,email,a,b,c\ncus-1,ada@example.com,{cells}\ncus-2,bob@example.com,1,2,3\n")
    database = database_of(settings)
    crm = CrmActivities(LocalCrm(database))
    try:
        assert await LocalCrm(database).import_csv("acme", csv_file) == 2
        with pytest.raises(ApplicationError) as refused:
            await crm.lookup_customer(CustomerQuery(tenant="acme", email="ada@example.com"))
        assert refused.value.type == "CrmRecordTooLarge" and refused.value.non_retryable
        found = await crm.lookup_customer(CustomerQuery(tenant="acme", email="bob@example.com"))
        assert found is not None and found.custom == {"a": "1", "b": "2", "c": "3"}
    finally:
        await database.dispose()


# -- privacy -------------------------------------------------------------------------------------


async def test_logs_carry_no_message_text_or_addresses(
    client: Client, settings: Settings, tenants: dict[str, str], caplog
) -> None:
    caplog.set_level(logging.DEBUG)  # ops may run at DEBUG: our lines show, the SDK keeps its INFO floor
    logging_setup.apply_sdk_floor()
    secret_text = "my card number is 4111 1111 1111 1111"
    address = "very.private.person@example.org"
    async with serve_service(client, settings, tenants) as api:
        await api.post_message("pii-1", "m-1", secret_text, sender=address)
        await api.request(
            "POST",
            "/v1/conversations/pii-1/replies",
            json={"agent_id": "a", "text": secret_text, "message_id": "r-1"},
        )
        await api.request("POST", "/v1/conversations/pii-1/messages", data=b"{broken")
    logged = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert "outbound auto_reply via outbox" in logged  # the log is there ...
    assert secret_text not in logged and address not in logged  # ... without the personal data


async def test_a_crm_record_of_the_wrong_shape_is_named_by_its_fields_not_its_values(
    client: Client, settings: Settings, tenants: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A CRM answering a record of another shape (an id object, a list of addresses) failed the lookup
    with pydantic's message, which quotes the values: the customer's address and IBAN went into the
    worker's log with a traceback at every retry, and into the trail the ops console shows."""
    caplog.set_level(logging.DEBUG)
    logging_setup.apply_sdk_floor()
    iban = "DE89370400440532013000"
    record = {"id": {"nested": "ada@example.com"}, "email": [iban], "tier": "vip"}
    fake = FakeCrm(customers={"ada@example.com": record})
    publish(settings, TEST_PACKS / "crm")
    async with serve_crm(fake):
        chosen = settings.model_copy(update={"crm": "rest", "crm_url": fake.url})
        async with serve_service(client, chosen, tenants) as api:
            answer = await api.post_message("shape-1", "m-1", "Hello")
            created = (await trail(api, "shape-1"))[0]
    assert answer.status == 201
    assert created["note"].startswith("CRM unavailable") and "id (string_type), email (" in created["note"]
    assert iban not in created["note"] and "ada@" not in created["note"], created["note"]
    logged = "\n".join(r.getMessage() + " " + str(r.__dict__) + str(r.exc_info) for r in caplog.records)
    assert "CrmRecordMalformed" in logged and iban not in logged and "nested" not in logged
    assert len(fake.auth) == 1  # not asked again: the same record would be as wrong


async def test_team_notifications_go_to_the_notify_endpoint_signed(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "timers")
    async with serve_gateway(FakeGateway()) as hook:
        chosen = settings.model_copy(update={"notify_url": hook.url, "gateway_secret": _secret(SECRET)})
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("esc-1", "m-1", "help")

            async def both_levels() -> bool:
                return len(hook.accepted) >= 2

            deadline = asyncio.get_running_loop().time() + 15
            while not await both_levels():
                assert asyncio.get_running_loop().time() < deadline, "no escalation notifications"
                await asyncio.sleep(0.1)
        texts = [r.json["text"] for r in hook.requests]
        assert texts[:2] == ["breach level 1", "breach level 2"]
        for r in hook.requests:
            webhook_signature.verify(SECRET, r.headers, r.body, int(time.time()))


CALL_WEBHOOK_PACK = """\
meta: {name: webhook-test, version: "1", language: en}
rules:
  - id: tell-the-shop
    on: [conversation.created]
    then: [{call_webhook: {url: "%s", payload: {level: 2, vip: true, note: null, name: "Zoë"}}}]
"""


@pytest.mark.parametrize("private_allowed", [True, False])
async def test_a_rule_s_webhook_posts_its_payload_as_json_to_a_public_address_only(
    client: Client, settings: Settings, tenants: dict[str, str], tmp_path: Path, private_allowed: bool
) -> None:
    # The payload arrived as Python's repr ("{'level': 2, 'vip': True, ...}"), and any tenant's pack
    # could make the worker POST to 127.0.0.1, 10.x or the cloud's metadata service.
    async with serve_gateway(FakeGateway()) as hook:
        (tmp_path / "pack.yaml").write_text(CALL_WEBHOOK_PACK % hook.url)
        publish(settings, tmp_path)
        allowed = tenants["acme"] if private_allowed else ""
        chosen = settings.model_copy(update={"subscription_private_tenants": allowed})
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("hook-1", "m-1", "help")
            created = (await api.request("GET", "/v1/conversations/hook-1/decisions")).body["decisions"][0]
    (done,) = [e for e in created["executed"] if e["action"]["type"] == "call_webhook"]
    if private_allowed:  # the operator let this tenant reach private addresses (a test receiver)
        (posted,) = hook.accepted.values()
        assert posted["payload"] == {"level": 2, "vip": True, "note": None, "name": "Zoë"}, posted
        assert done["outcome"] == "done", done
    else:
        assert not hook.requests, "a private address reached"
        assert done["outcome"] == "failed" and "127.0.0.1 is not a public address" in done["detail"], done


NOTIFY_WEBHOOK_PACK = """\
meta: {name: notify-webhook-test, version: "1", language: en}
rules:
  - id: tell-the-lead
    on: [conversation.created]
    then: [{notify: {webhook: "%s", message: "New conversation {conversation.id}"}}]
"""


@pytest.mark.parametrize("channel", ["email", "chat"])
async def test_a_notification_to_a_webhook_is_posted_to_its_url(
    client: Client, settings: Settings, tenants: dict[str, str], tmp_path: Path, channel: str
) -> None:
    """`notify: {webhook: URL}` went by mail to the URL on an email conversation, and only to the
    outbox on the others: the lead's endpoint heard nothing, and the trail said done."""
    async with serve_gateway(FakeGateway()) as hook:
        (tmp_path / "pack.yaml").write_text(NOTIFY_WEBHOOK_PACK % hook.url)
        publish(settings, tmp_path)
        chosen = settings.model_copy(
            update={"subscription_private_tenants": tenants["acme"], "gateway_secret": _secret(SECRET)}
        )
        async with serve_service(client, chosen, tenants) as api:
            sender = "ada@example.com" if channel == "email" else "visitor-7"
            await api.post_message("note-1", "m-1", "help", channel=channel, sender=sender)
            created = (await api.request("GET", "/v1/conversations/note-1/decisions")).body["decisions"][0]
    (done,) = [e for e in created["executed"] if e["action"]["type"] == "notify"]
    assert done["outcome"] == "done", done
    (request,) = hook.requests
    assert request.json["kind"] == "notification" and request.json["to"] == hook.url
    assert request.json["text"] == "New conversation note-1"
    webhook_signature.verify(SECRET, request.headers, request.body, int(time.time()))


def test_a_notification_webhook_that_is_not_a_url_is_a_validation_error(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text(NOTIFY_WEBHOOK_PACK % "hooks.example/lead")
    problems = validate(load_source(tmp_path))[1]
    assert [(p.path, p.message) for p in problems] == [
        ("rules[0].then[0].notify.webhook", "is not an http:// or https:// URL")
    ]


async def test_an_agent_reply_over_the_channel_limit_is_refused_not_cut(
    api: ApiClient, worker: None, settings: Settings
) -> None:
    """A 3,000-character SMS reply was cut to 1,600 and answered "delivered": the customer read half
    of it and the agent never knew."""
    await api.post_message("sms-1", "m-1", "hi", channel="sms", sender="+4915100000003")
    path = "/v1/conversations/sms-1/replies"
    long = await api.request("POST", path, json={"agent_id": "a", "text": "x" * 3000, "message_id": "r-1"})
    assert long.status == 422, long.body
    assert long.body["fields"] == [
        {
            "field": "text",
            "message": "3000 characters: sms carries at most 1600 per message; "
            "shorten it or send it in parts",
        }
    ]
    fits = await api.request("POST", path, json={"agent_id": "a", "text": "y" * 1600, "message_id": "r-1"})
    assert fits.status == 200, fits.body
    assert OutboxRows(settings).read_all()[-1]["text"] == "y" * 1600


async def _lookup(settings: Settings, query: CustomerQuery) -> Customer | None:
    database = database_of(settings)
    try:
        return await LocalCrm(database).lookup(query)
    finally:
        await database.dispose()


def test_crm_import_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "customers.csv"
    good.write_text("id,email,tier,region\ncus-1,a@example.com,vip,emea\ncus-2,b@example.com,free,\n")
    monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(tmp_path / "data"))
    # A tenant nobody created (a typo): "imported 2 customers" for a CRM no conversation reads.
    assert main(["crm", "import", str(good), "--tenant", "acme"]) == 2
    assert "no tenant 'acme'" in capsys.readouterr().err
    assert main(["tenant", "create", "acme"]) == 0
    assert main(["crm", "import", str(good), "--tenant", "acme"]) == 0
    assert "imported 2 customers" in capsys.readouterr().out
    found = asyncio.run(_lookup(Settings(), CustomerQuery(tenant="acme", email="A@example.com")))
    assert found is not None and found.tier == "vip" and found.custom == {"region": "emea"}
    bad = tmp_path / "bad.csv"
    bad.write_text("email,tier\na@example.com,vip\n")
    code = main(["crm", "import", str(bad), "--tenant", "acme"])
    stderr = capsys.readouterr().err
    assert code == 2 and "`id` column" in stderr and "Traceback" not in stderr


async def _holds(value: bool) -> bool:
    return value


def webhook_message(url: str) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="conversation:acme:c-1:life:1:0",
        conversation_id="conversation:acme:c-1",
        tenant="acme",
        channel="email",
        to=url,
        kind="webhook",
        text='{"level":2}',
    )


async def test_a_tenant_s_webhook_follows_no_redirect_and_waits_out_a_resolver_that_is_down() -> None:
    # A redirect would take the POST where the check never looked (a private address behind a public
    # one): refused for good, naming the 3xx (it was recorded as "HTTP 400"). A name that does not
    # resolve may later (a resolver down): tried again, not failed for good.
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app = web.Application()
    app.router.add_post("/hook", moved)
    async with serve_app(app) as server:
        gateway = WebhookGateway("", None, public_only=True)
        try:
            with pytest.raises(ApplicationError) as redirected:
                await gateway.post(str(server.make_url("/hook")), {"payload": {}}, "key-1")
        finally:
            await gateway.close()
    assert redirected.value.non_retryable and "HTTP 302, a redirect not followed" in redirected.value.message
    target = _UrlTarget(None, lambda tenant: False)
    try:
        with pytest.raises(ApplicationError) as unresolved:
            await target.send(webhook_message("https://no-such-host.invalid/hook"))
    finally:
        await target.close()
    assert not unresolved.value.non_retryable and "Unavailable" in (unresolved.value.type or ""), (
        unresolved.value
    )


async def test_a_rule_s_webhook_without_a_gateway_secret_goes_out_unsigned_and_the_worker_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """README: `call_webhook` posts are signed like the gateway's. Without CONVOFLOW_GATEWAY_SECRET
    (`make run`'s default) they carry no signature: a receiver that verifies refuses them, so the
    worker says so, once."""
    received: list[dict[str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    caplog.set_level(logging.WARNING, logger="convoflow.channels")
    async with serve_app(app) as server:
        for secret in (None, SECRET):
            target = _UrlTarget(secret, lambda tenant: True)
            try:
                for _ in range(2):
                    await target.send(webhook_message(str(server.make_url("/hook"))))
            finally:
                await target.close()
    assert ["webhook-signature" in headers for headers in received] == [False, False, True, True]
    told = [r.getMessage() for r in caplog.records if "unsigned" in r.getMessage()]
    assert told == ["a rule's webhook posts go out unsigned: set CONVOFLOW_GATEWAY_SECRET to sign them"]


def zoe_reply(text: str, *, tenant: str = "acme") -> OutboundMessage:
    """An agent's email reply to Zoe, as the relay tests send it."""
    return OutboundMessage(
        idempotency_key=f"conversation:{tenant}:c-9:run:1:0",
        conversation_id=f"conversation:{tenant}:c-9",
        tenant=tenant,
        channel="email",
        to="zoe@customer.example",
        kind="agent_reply",
        text=text,
    )
