"""The mail quarantine as ops use it (issue 20): over the API and the CLI, per tenant, by role.

A mail that cannot become a conversation is answered 202 with its quarantine id; ops list it, read it,
release it into a conversation (once, whatever the retries) or delete it; it is sealed at rest and
never visible to another tenant.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update
from temporalio.client import Client

from engine.contracts.message_ids import domain_of, message_id_for
from engine.contracts.outbound import OutboundMessage
from engine.db.keys import create_key
from engine.db.schema import inbound_seen, mail_quarantine
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.temporal_server import DevServer
from tests.api_client import ApiClient, api_key
from tests.cli_run import cli
from tests.conftest import serve_api, serve_service
from tests.outbox_rows import OutboxRows
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.polling import eventually

SPAM = (
    b"From: Ada Lovelace <ada@customer.example>\r\nTo: support@convoflow.local\r\nSubject: Refund please\r\n"
    b"Message-ID: <q-1@customer.example>\r\nX-Spam-Flag: YES\r\nContent-Type: text/plain\r\n\r\n"
    b"Please refund order 1234.\r\n"
)


async def post_mail(api: ApiClient, raw: bytes, tenant: str = "acme"):
    return await api.request(
        "POST", "/v1/inbound/email", data=raw, tenant=tenant, headers={"Content-Type": "message/rfc822"}
    )


async def as_role(api: ApiClient, settings: Settings, tenant: str, role: str, method: str, path: str):
    database = database_of(settings)
    try:
        key = (await create_key(database, tenant, role))[1]
    finally:
        await database.dispose()
    return await api.request(method, path, tenant=None, headers={"Authorization": f"Bearer {key}"})


async def test_a_held_mail_is_listed_read_released_once_and_deleted(
    api: ApiClient, worker: None, settings: Settings, tenants: dict[str, str]
) -> None:
    held = await post_mail(api, SPAM)
    assert held.status == 202, held.body
    assert held.body["reason"] == "spam" and held.body["detail"] == "X-Spam-Flag: YES"
    item_id = held.body["quarantine_id"]
    assert (await post_mail(api, SPAM)).body["quarantine_id"] == item_id  # a retry: the same item

    listed = await api.request("GET", "/v1/quarantine?reason=spam")
    assert [(i["id"], i["sender"], i["subject"]) for i in listed.body["items"]] == [
        (item_id, "ada@customer.example", "Refund please")
    ]
    shown = await api.request("GET", f"/v1/quarantine/{item_id}")
    assert shown.body["text"] == "Please refund order 1234." and shown.body["released_at"] is None
    headers = {"Authorization": f"Bearer {api_key(tenants['acme'])}"}
    async with api.session.get(f"{api.base_url}/v1/quarantine/{item_id}/raw", headers=headers) as raw:
        assert raw.status == 200 and raw.content_type == "message/rfc822"
        assert await raw.read() == SPAM  # exactly as delivered

    # At rest it is sealed: the row holds neither the address nor the text.
    database = database_of(settings)
    try:
        async with database.connect() as connection:
            sealed = (await connection.execute(select(mail_quarantine.c.sealed))).scalar_one()
    finally:
        await database.dispose()
    assert b"ada@customer.example" not in sealed and b"refund" not in sealed.lower()

    # Another tenant does not see it; an auditor lists it without content and cannot open it.
    assert (await api.request("GET", f"/v1/quarantine/{item_id}", tenant="globex")).status == 404
    assert (await api.request("GET", "/v1/quarantine", tenant="globex")).body["items"] == []
    acme = tenants["acme"]
    audited = await as_role(api, settings, acme, "auditor", "GET", "/v1/quarantine")
    assert audited.status == 200 and "sender" not in audited.body["items"][0], audited.body
    assert (await as_role(api, settings, acme, "auditor", "GET", f"/v1/quarantine/{item_id}")).status == 403
    assert (await as_role(api, settings, acme, "integrator", "GET", "/v1/quarantine")).status == 403

    released = await api.request("POST", f"/v1/quarantine/{item_id}/release")
    assert released.status == 201, released.body
    conversation = released.body["conversation_id"]
    again = await api.request("POST", f"/v1/quarantine/{item_id}/release")
    assert again.status == 200 and again.body == {
        "id": item_id,
        "conversation_id": conversation,
        "duplicate": True,
    }

    async def handled() -> bool:  # the release is answered when the message is recorded
        return (await api.get(conversation)).body["customer_messages"] == 1

    await eventually(handled, "the released mail handled by its conversation")
    # The gateway delivers the same mail again: a repeat of the released message, not a mail still
    # held (it was answered 202 quarantined).
    redelivered = await post_mail(api, SPAM)
    assert redelivered.status == 200 and redelivered.body["duplicate"] is True, redelivered.body
    assert redelivered.body["conversation_id"] == conversation
    state = (await api.get(conversation)).body
    assert state["customer_messages"] == 1 and state["customer"]["address"] == "ada@customer.example"
    assert (await api.request("GET", "/v1/quarantine?released=false")).body["items"] == []

    # Remembered before inbound_seen kept the conversation (migration 0014): the kept item tells it.
    async def remembered_with(conversation_id: str | None) -> None:
        database = database_of(settings)
        try:
            async with database.begin() as connection:
                await connection.execute(update(inbound_seen).values(conversation_id=conversation_id))
        finally:
            await database.dispose()

    await remembered_with(None)
    assert (await post_mail(api, SPAM)).body["conversation_id"] == conversation
    await remembered_with(conversation)

    assert (await api.request("DELETE", f"/v1/quarantine/{item_id}")).status == 200
    assert (await api.request("GET", f"/v1/quarantine/{item_id}")).status == 404
    # Delivered again once ops deleted the released item: still a repeat, not a new quarantined item.
    after_delete = await post_mail(api, SPAM)
    assert after_delete.status == 200 and after_delete.body["duplicate"] is True, after_delete.body
    assert after_delete.body["conversation_id"] == conversation
    assert (await api.request("GET", "/v1/quarantine")).body["items"] == []


async def test_quarantine_pages_and_names_bad_parameters(api: ApiClient) -> None:
    for n in range(3):
        raw = SPAM.replace(b"<q-1@", f"<page-{n}@".encode())
        assert (await post_mail(api, raw)).status == 202
    first = await api.request("GET", "/v1/quarantine?limit=2")
    assert len(first.body["items"]) == 2 and first.body["next"]
    second = await api.request("GET", first.body["next"])
    assert len(second.body["items"]) == 1 and second.body["next"] is None
    seen = [i["id"] for i in first.body["items"] + second.body["items"]]
    assert len(set(seen)) == 3
    for query, field in (("reason=maybe", "reason"), ("released=yes", "released"), ("cursor=xyz", "cursor")):
        bad = await api.request("GET", f"/v1/quarantine?{query}")
        assert bad.status == 422 and bad.body["fields"][0]["field"] == field, bad.body
    assert (await api.request("GET", "/v1/quarantine/not-an-id")).status == 422
    no_sender = await post_mail(api, b"Subject: hi\r\nMessage-ID: <ns@x>\r\n\r\nwho?")
    refused = await api.request("POST", f"/v1/quarantine/{no_sender.body['quarantine_id']}/release")
    assert refused.status == 409 and refused.body["error"] == "no_sender"


async def test_the_cli_lists_shows_releases_and_deletes(
    api: ApiClient,
    worker: None,
    cli_settings: Settings,
    tenants: dict[str, str],
    temporal_server: DevServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_server.address)
    monkeypatch.setenv("CONVOFLOW_TASK_QUEUE", cli_settings.task_queue)
    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", TEST_PAYLOAD_KEYS)
    tenant = tenants["acme"]
    item_id = (await post_mail(api, SPAM)).body["quarantine_id"]
    listed = await cli(capsys, "quarantine", "list", "--tenant", tenant)
    assert listed.returncode == 0 and item_id in listed.stdout and "spam" in listed.stdout, listed
    shown = await cli(capsys, "quarantine", "show", item_id, "--tenant", tenant)
    assert '"text": "Please refund order 1234."' in shown.stdout, shown
    released = await cli(capsys, "quarantine", "release", item_id, "--tenant", tenant)
    assert released.returncode == 0 and "released to conversation email-" in released.stdout, released
    again = await cli(capsys, "quarantine", "release", item_id, "--tenant", tenant)
    assert again.returncode == 0 and "already released" in again.stdout
    conversation = released.stdout.split()[-1]
    assert (await api.get(conversation)).body["customer_messages"] == 1
    assert (await cli(capsys, "quarantine", "delete", item_id, "--tenant", tenant)).returncode == 0
    missing = await cli(capsys, "quarantine", "show", item_id, "--tenant", tenant)
    assert missing.returncode == 1 and "no quarantined mail" in missing.stderr


async def test_a_released_loop_is_recorded_but_never_answered(
    api: ApiClient, worker: None, outbox: OutboxRows, tenants: dict[str, str]
) -> None:
    """Mail from our own address, released by ops, must not start the loop again with an acknowledgement."""
    ours = SPAM.replace(b"Ada Lovelace <ada@customer.example>", b"Support <support@convoflow.local>").replace(
        b"X-Spam-Flag: YES\r\n", b""
    )
    held = await post_mail(api, ours)
    assert held.status == 202 and held.body["reason"] == "loop", held.body
    released = await api.request("POST", f"/v1/quarantine/{held.body['quarantine_id']}/release")
    assert released.status == 201, released.body
    conversation = released.body["conversation_id"]

    async def handled() -> bool:  # the release is answered when the message is recorded
        state = (await api.get(conversation)).body
        return state["customer_messages"] == 1 and "automated" in state["tags"]

    await eventually(handled, "the released loop handled by its conversation")
    assert outbox.read_all(tenants["acme"]) == []


async def test_mail_from_the_tenant_s_mailbox_address_is_a_loop_over_the_api_too(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """The mailbox quarantined mail from its own support address; `POST /v1/inbound/email` knew only
    CONVOFLOW_EMAIL_FROM and began a conversation with ourselves, its acknowledgement to us (helper-123)."""
    mailbox = {"name": "acme", "tenant": tenants["acme"], "host": "imap.example.com"}
    mailboxes = [{**mailbox, "user": "s@acme.example", "address": "Acme Help <help@acme.example>"}]
    configured = settings.model_copy(
        update={"mailboxes": json.dumps([{**m, "password_env": "UNSET_IN_TESTS"} for m in mailboxes])}
    )
    ours = SPAM.replace(b"Ada Lovelace <ada@customer.example>", b"Acme Help <Help@acme.example>")
    async with serve_api(client, configured, tenants) as api:
        held = await post_mail(api, ours.replace(b"X-Spam-Flag: YES\r\n", b""))
        assert held.status == 202 and held.body["reason"] == "loop", held.body
        assert "own support address" in held.body["detail"], held.body


def new_ticket(number: int, sender: bytes = b"helpdesk@vendor.example") -> bytes:
    """A vendor's ticket system answering our acknowledgement with a new ticket: no In-Reply-To, no
    Auto-Submitted, a new subject each time (so no header says it is a loop)."""
    return (
        b"From: Vendor Desk <" + sender + b">\r\nTo: support@convoflow.local\r\n"
        b"Subject: [Ticket #" + str(number).encode() + b"] We received your message\r\n"
        b"Message-ID: <t-" + str(number).encode() + b"-" + sender + b">\r\n"
        b"Content-Type: text/plain\r\n\r\nThank you, we will get back to you.\r\n"
    )


async def test_a_sender_past_the_hourly_limit_of_new_conversations_is_held(
    client: Client, settings: Settings, tenants: dict[str, str], outbox: OutboxRows
) -> None:
    """Six mails in a second from one vendor address, each a new ticket, were each acknowledged: the
    two ticket systems could answer each other for ever."""
    limited = settings.model_copy(update={"mail_sender_limit_per_hour": 3})
    async with serve_service(client, limited, tenants) as api:
        taken = [await post_mail(api, new_ticket(n)) for n in range(1, 4)]
        assert [t.status for t in taken] == [201, 201, 201], [t.body for t in taken]
        # Writing again in one of their conversations (a reply to our acknowledgement) counts once,
        # however often: only new conversations are counted.
        first = taken[0].body["conversation_id"]

        async def acknowledged_first() -> bool:
            return any(r["conversation_id"].endswith(first) for r in outbox.read_all(tenants["acme"]))

        await eventually(acknowledged_first, "the first ticket acknowledged")
        ack = next(r for r in outbox.read_all(tenants["acme"]) if r["conversation_id"].endswith(first))
        ack_message = OutboundMessage(
            idempotency_key=ack["idempotency_key"],
            conversation_id=ack["conversation_id"],
            tenant=tenants["acme"],
            channel="email",
            to="helpdesk@vendor.example",
            kind="auto_reply",
            text="",
        )
        ours = message_id_for(ack_message, domain_of(limited.email_from))
        again = new_ticket(31).replace(b"Message-ID:", f"In-Reply-To: {ours}\r\nMessage-ID:".encode())
        joined = await post_mail(api, again)
        assert joined.status == 200 and joined.body["conversation_id"] == first, joined.body
        held = await post_mail(api, new_ticket(4))
        assert held.status == 202 and held.body["reason"] == "sender_rate", held.body
        assert "3 conversations from this sender within the hour" in held.body["detail"]
        assert (await post_mail(api, new_ticket(4))).body["quarantine_id"] == held.body["quarantine_id"]
        # Counted per sender, whatever case it is written in, and per tenant.
        shouted = new_ticket(5).replace(b"From: Vendor Desk <helpdesk@", b"From: Vendor Desk <HELPDESK@")
        assert (await post_mail(api, shouted)).status == 202
        assert (await post_mail(api, new_ticket(6, b"ada@customer.example"))).status == 201
        assert (await post_mail(api, new_ticket(7), tenant="globex")).status == 201
        # Released by ops, a held mail becomes a conversation as any other: acknowledged (a released
        # `loop` mail stays automatic, never answered).
        released = await api.request("POST", f"/v1/quarantine/{held.body['quarantine_id']}/release")
        assert released.status == 201, released.body
        conversation = released.body["conversation_id"]

        async def acknowledged() -> bool:
            rows = outbox.read_all(tenants["acme"])
            return any(
                r["conversation_id"].endswith(conversation) and r["kind"] == "auto_reply" for r in rows
            )

        await eventually(acknowledged, "the released mail acknowledged")
        assert "automated" not in (await api.get(conversation)).body["tags"]
    database = database_of(settings)
    try:
        async with database.connect() as connection:
            keys = (await connection.execute(select(inbound_seen.c.sender_key))).scalars().all()
    finally:
        await database.dispose()
    assert keys and all(k is None or "@" not in k for k in keys), "the table keeps no address"
