"""Inbound email as an attacker writes it: forged threading headers, path-like ids, huge or broken mail.

Each attack ends in a clear 4xx, a quarantined item naming what was wrong, or a new conversation of
the sender's own; nothing is attached to someone else's conversation and nothing is created under an
id that does not match the id pattern.
"""

from __future__ import annotations

import re

import pytest

from engine.contracts.ids import ID_PATTERN
from tests.api_client import ApiClient
from tests.polling import eventually

OUR_DOMAIN = "convoflow.local"  # the domain of the default CONVOFLOW_EMAIL_FROM


def mail(
    sender: str, message_id: str, text: str = "Please refund me", *, extra: str = "", subject: str = "Refund"
) -> bytes:
    return (
        f"From: {sender}\r\nTo: support@{OUR_DOMAIN}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
        f"{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    ).encode()


async def send(api: ApiClient, raw: bytes, tenant: str = "acme"):
    return await api.request(
        "POST", "/v1/inbound/email", data=raw, tenant=tenant, headers={"Content-Type": "message/rfc822"}
    )


async def decisions(api: ApiClient, conversation: str, tenant: str = "acme") -> list[dict]:
    """The conversation's decisions once its first message is handled (mail is answered when recorded)."""
    path = f"/v1/conversations/{conversation}/decisions"

    async def decided() -> bool:
        reply = await api.request("GET", path, tenant=tenant)
        assert reply.status == 200, reply.body
        return bool(reply.body["decisions"])

    await eventually(decided, f"the first decision of {conversation}")
    return (await api.request("GET", path, tenant=tenant)).body["decisions"]


async def test_a_reply_naming_another_customers_conversation_begins_a_new_one(
    api: ApiClient, worker: None
) -> None:
    assert (await api.post_message("victim-1", "m-1", sender="ada@customer.example")).status == 201
    before = (await api.get("victim-1")).body
    forged = mail(
        "Mallory <mallory@attacker.example>",
        "<evil-1@attacker.example>",
        "URGENT: cancel everything",
        extra=f"In-Reply-To: <victim-1.0123abcd@{OUR_DOMAIN}>\r\n"
        f"References: <victim-1.0123abcd@{OUR_DOMAIN}>\r\n",
    )
    reply = await send(api, forged)
    assert reply.status == 201, reply.body
    own = reply.body["conversation_id"]
    assert own != "victim-1" and re.fullmatch(ID_PATTERN, own)
    assert (await api.get("victim-1")).body == before  # not a message more, not urgent, nothing
    assert (await api.get(own)).body["customer"]["address"] == "mallory@attacker.example"
    created = (await decisions(api, own))[0]
    assert created["event"] == "conversation.created"
    assert "In-Reply-To named a conversation the sender does not belong to" in created["note"]


async def test_the_customers_own_reply_joins_whatever_the_case_of_the_address(
    api: ApiClient, worker: None
) -> None:
    assert (await api.post_message("own-1", "m-1", sender="ada@customer.example")).status == 201
    reply = await send(
        api,
        mail(
            "Ada <ADA@Customer.Example>",
            "<ada-2@customer.example>",
            extra=f"In-Reply-To: <own-1.0123abcd@{OUR_DOMAIN}>\r\n",
        ),
    )
    assert reply.status == 200 and reply.body["conversation_id"] == "own-1", reply.body

    async def joined() -> bool:  # the mail is answered when recorded; counted when handled
        return (await api.get("own-1")).body["customer_messages"] == 2

    await eventually(joined, "the customer's reply counted in their conversation")


async def test_a_follow_up_to_the_customers_own_first_mail_joins_its_conversation(
    api: ApiClient, worker: None
) -> None:
    """ "Forgot to say: order 1234", In-Reply-To the customer's own first mail: a second conversation
    began beside the first, with a second acknowledgement. Someone else naming that mail does not
    join it, and says nothing of it."""
    first = await send(api, mail("Ada <ada@customer.example>", "<ada-first@customer.example>"))
    assert first.status == 201, first.body
    began = first.body["conversation_id"]
    follow_up = mail(
        "Ada <ada@customer.example>",
        "<ada-second@customer.example>",
        "Forgot to say: order 1234",
        extra="In-Reply-To: <ada-first@customer.example>\r\nReferences: <ada-first@customer.example>\r\n",
    )
    joined = await send(api, follow_up)
    assert joined.status == 200 and joined.body["conversation_id"] == began, joined.body

    async def counted() -> bool:
        return (await api.get(began)).body["customer_messages"] == 2

    await eventually(counted, "the follow-up counted in the first conversation")
    other = mail(
        "Mallory <mallory@attacker.example>",
        "<mallory-1@attacker.example>",
        extra="In-Reply-To: <ada-first@customer.example>\r\n",
    )
    apart = await send(api, other)
    assert apart.status == 201 and apart.body["conversation_id"] != began, apart.body
    assert (await decisions(api, apart.body["conversation_id"]))[0]["note"] is None


async def test_a_requester_named_by_reply_to_never_joins_a_conversation(api: ApiClient, worker: None) -> None:
    """From an address nobody reads the customer is Reply-To's, which anyone writes: a mail from the
    attacker's own `noreply@` naming a victim there and the victim's first mail in In-Reply-To would
    have posted into the victim's conversation (a forged From is what receiving servers refuse)."""
    first = await send(api, mail("Ada <ada@customer.example>", "<ada-own@customer.example>"))
    assert first.status == 201, first.body
    victim = first.body["conversation_id"]
    forged = mail(
        "Shop <noreply@attacker.example>",
        "<forged-1@attacker.example>",
        "Cancel my order",
        extra="Reply-To: ada@customer.example\r\nIn-Reply-To: <ada-own@customer.example>\r\n",
    )
    apart = await send(api, forged)
    assert apart.status == 201 and apart.body["conversation_id"] != victim, apart.body
    assert (await api.get(apart.body["conversation_id"])).body["customer"][
        "address"
    ] == "ada@customer.example"
    await decisions(api, apart.body["conversation_id"])  # handled: it went where it went
    assert (await api.get(victim)).body["customer_messages"] == 1


async def test_a_reply_naming_another_tenants_conversation_never_attaches(
    api: ApiClient, worker: None
) -> None:
    assert (
        await api.post_message("shared-1", "m-1", sender="ada@customer.example", tenant="globex")
    ).status == 201
    reply = await send(
        api,
        mail(
            "ada@customer.example",
            "<ada-3@customer.example>",
            extra=f"In-Reply-To: <shared-1.99@{OUR_DOMAIN}>\r\n",
        ),
    )
    assert reply.status == 201, reply.body
    assert reply.body["conversation_id"] != "shared-1"
    assert (await api.get("shared-1", tenant="globex")).body["customer_messages"] == 1
    assert (await api.get("shared-1")).status == 404  # nor was one created under that name in acme
    created = (await decisions(api, reply.body["conversation_id"]))[0]
    assert "named no conversation of this tenant" in created["note"]


@pytest.mark.parametrize(
    "message_id, in_reply_to",
    [
        ("<p-1@attacker.example>", f"<../../etc/passwd.1@{OUR_DOMAIN}>"),
        ("<../../etc/passwd>", ""),
        ("<a/b\\c:d@attacker.example>", f"<a:b.1@{OUR_DOMAIN}>"),
    ],
)
async def test_ids_in_email_headers_never_become_path_like_ids(
    api: ApiClient, worker: None, message_id: str, in_reply_to: str
) -> None:
    extra = f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else ""
    reply = await send(api, mail("eve@attacker.example", message_id, extra=extra))
    assert reply.status == 201, reply.body
    created = reply.body["conversation_id"]
    assert re.fullmatch(ID_PATTERN, created) and created.startswith("email-")


@pytest.mark.parametrize("path_id", ["abc%0A", "..", "a%2Fb", "%2E%2E%2Fetc", "x" * 129])
async def test_path_like_conversation_ids_are_refused(api: ApiClient, path_id: str) -> None:
    reply = await api.post_message(path_id, "m-1")
    assert reply.status in (404, 422), reply.body
    if reply.status == 422:
        assert reply.body["fields"][0]["field"] == "conversation_id"


# -- limits --------------------------------------------------------------------------------------


async def test_a_mail_over_the_email_limit_is_a_413_however_it_is_framed(api: ApiClient) -> None:
    limit = 256 * 1024  # CONVOFLOW_MAX_EMAIL_BYTES' default; the app takes up to 8 MiB for packs
    big = mail("ada@customer.example", "<big@customer.example>", "x" * (limit + 10))
    reply = await send(api, big)
    assert reply.status == 413 and reply.body["error"] == "body_too_large", reply.body

    async def chunked():  # no Content-Length: the limit is applied while reading
        for start in range(0, len(big), 32 * 1024):
            yield big[start : start + 32 * 1024]

    streamed = await api.request("POST", "/v1/inbound/email", data=chunked())  # type: ignore[arg-type]
    assert streamed.status == 413 and streamed.body["fields"] == [
        {"field": "body", "message": f"at most {limit} bytes"}
    ]


@pytest.mark.parametrize(
    "raw, field",
    [
        (mail("ada@customer.example", "<h-1@c.example>", subject="s" * 20_000), "Subject"),
        (mail("(" * 3000 + "ada@customer.example", "<h-3@c.example>"), "From"),
        (mail("ada@customer.example", "<h-4@c.example>", extra="X-Junk: 1\r\n" * 300), "headers"),
        (
            b"From: ada@customer.example\r\nMessage-ID: <h-5@c.example>\r\nContent-Type: text/plain; "
            + b"a=b; " * 5000
            + b"\r\n\r\nhi\r\n",
            "Content-Type",
        ),
        (
            b"From: ada@customer.example\r\nMessage-ID: <h-6@c.example>\r\n"
            + b"".join(
                b"Content-Type: multipart/mixed; boundary=B%d\r\n\r\n--B%d\r\n" % (i, i) for i in range(2000)
            ),
            "body",
        ),
    ],
    ids=[
        "long-subject",
        "nested-comments",
        "many-headers",
        "many-parameters",
        "deep-mime",
    ],
)
async def test_hostile_headers_and_mime_are_quarantined_naming_what(
    api: ApiClient, raw: bytes, field: str
) -> None:
    """Past the parser's bounds a mail is not read further, but kept: 202, quarantined as unparseable."""
    reply = await send(api, raw)
    assert reply.status == 202, reply.body
    assert reply.body["quarantined"] is True and reply.body["reason"] == "unparseable"
    assert [f["field"] for f in reply.body["fields"]] == [field]


async def test_a_mail_whose_references_outgrew_the_header_bound_is_read_not_quarantined(
    api: ApiClient, worker: None
) -> None:
    # A long thread's References (5,000 ids, 30 KB) was quarantined as unparseable, without a sender
    # to release it to: now cut to its newest ids, it becomes the customer's message.
    raw = mail("ada@customer.example", "<h-2@c.example>", extra="References: " + "<r@x> " * 5000 + "\r\n")
    reply = await send(api, raw)
    assert reply.status == 201 and reply.body.get("quarantined") is not True, reply.body


async def test_undecodable_header_bytes_are_replaced_not_a_500(api: ApiClient, worker: None) -> None:
    raw = mail("ada@customer.example", "<enc-1@customer.example>", subject="=?utf-8?q?=E2=80?= caf\xe9")
    reply = await send(api, raw.replace(b"caf\xc3\xa9", b"caf\xe9"))  # a raw Latin-1 byte
    assert reply.status == 201, reply.body
