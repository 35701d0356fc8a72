"""No personal data in any log line: the suite's scenarios, run with every logger at DEBUG, then scanned.

Addresses, names, subjects and texts carry unique markers; the scan reads every captured record (its
message, arguments, extra fields and traceback) and everything written to the process's stdout and
stderr (the Temporal core's own log goes there). The SDK and database-driver floors of
engine/service/logging_setup.py stay in force, as they are whenever the service runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client

from engine.service import logging_setup
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.temporal_server import free_port
from tests.conftest import serve_service
from tests.local_servers import refusing_port

MARK = uuid.uuid4().hex[:10]
ADDRESS = f"pii-{MARK}@customer.example"
REFUSED = f"refused-{MARK}@customer.example"
NAME = f"Ada Private{MARK}"
SUBJECT = f"Subject-{MARK}"
TEXT = f"my card is 4111-{MARK}"
MARKERS = [MARK]  # every value above holds it: one needle finds any of them, in any encoding of ASCII


class RefusingSmtp:
    """An SMTP server that refuses one recipient, quoting the address back as real servers do."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == REFUSED:
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        return "250 OK"


@contextlib.contextmanager
def every_logger_at_debug() -> Iterator[None]:
    """Root at DEBUG and every logger inheriting it (as `CONVOFLOW_LOG_LEVEL=DEBUG` does), then the
    service's floors for the SDK and the database drivers, as `logging_setup.configure` applies them."""
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    loggers = [logging.getLogger(), *(logger for logger in loggers if isinstance(logger, logging.Logger))]
    levels = [(logger, logger.level) for logger in loggers]
    try:
        for logger in loggers[1:]:
            logger.setLevel(logging.NOTSET)
        loggers[0].setLevel(logging.DEBUG)
        logging_setup.apply_sdk_floor()
        yield
    finally:
        for logger, level in levels:
            logger.setLevel(level)


def email(sender: str, message_id: str, *, extra: str = "", subject: str = SUBJECT) -> bytes:
    return (
        f"From: {NAME} <{sender}>\r\nTo: support@convoflow.local\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{TEXT}\r\n"
    ).encode()


async def test_no_address_name_subject_or_text_reaches_a_log_line(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    controller = Controller(RefusingSmtp(), hostname="127.0.0.1", port=free_port())
    controller.start()
    down_crm = contextlib.ExitStack()
    crm_port = down_crm.enter_context(refusing_port())
    chosen = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": controller.port,
            "smtp_starttls": False,
            # A CRM that is down: every lookup (by the marked address) fails and is logged by the SDK.
            "crm": "rest",
            "crm_url": f"http://127.0.0.1:{crm_port}/api",
        }
    )
    statuses: list[int] = []
    try:
        with every_logger_at_debug(), caplog.at_level(logging.DEBUG):
            async with serve_service(client, chosen, tenants) as api:
                message = {"message_id": "m-1", "channel": "email", "text": TEXT, "subject": SUBJECT}
                for conversation, sender in (("pii-1", ADDRESS), ("pii-refused", REFUSED)):
                    reply = await api.request(
                        "POST",
                        f"/v1/conversations/{conversation}/messages",
                        json={**message, "sender": {"address": sender, "name": NAME}},
                    )
                    statuses.append(reply.status)
                reply = await api.request(
                    "POST",
                    "/v1/conversations/pii-1/replies",
                    json={"agent_id": "a-1", "text": TEXT, "message_id": "r-1"},
                )
                statuses.append(reply.status)
                # An agent's reply to the refused address: the adapter fails for good.
                reply = await api.request(
                    "POST",
                    "/v1/conversations/pii-refused/replies",
                    json={"agent_id": "a-1", "text": TEXT, "message_id": "r-1"},
                )
                statuses.append(reply.status)
                mails = [
                    email(ADDRESS, f"<e-1.{MARK}@customer.example>"),
                    email(  # a forged reply: a new conversation, the trail says why
                        f"other-{MARK}@attacker.example",
                        f"<e-2.{MARK}@attacker.example>",
                        extra="In-Reply-To: <pii-1.00@convoflow.local>\r\n",
                    ),
                    email(ADDRESS, f"<e-3.{MARK}@customer.example>", subject=SUBJECT * 1000),
                    email("(" * 3000 + ADDRESS, f"<e-4.{MARK}@customer.example>"),
                    email(
                        ADDRESS, f"<e-5.{MARK}@customer.example>", extra=f"Content-Type: {TEXT}; a=b\r\n" * 70
                    ),
                    email(ADDRESS, f"<e-6.{MARK}@customer.example>") + TEXT.encode() * 30_000,
                    f"Subject: {SUBJECT}\r\n\r\n{TEXT}".encode(),
                ]
                for raw in mails:
                    statuses.append((await api.request("POST", "/v1/inbound/email", data=raw)).status)
                bad = [
                    {**message, "sender": {"address": ADDRESS, "name": f"{NAME}\r\nBcc: x"}},
                    {**message, "sender": {"address": ADDRESS}, "subject": f"{SUBJECT}\n"},
                    {**message, "sender": {"address": ADDRESS}, "surprise": TEXT},
                ]
                for body in bad:
                    reply = await api.request("POST", "/v1/conversations/pii-2/messages", json=body)
                    statuses.append(reply.status)
                statuses.append(
                    (await api.request("POST", "/v1/conversations/pii-2/messages", data=TEXT.encode())).status
                )
                trail = await api.request("GET", "/v1/conversations/pii-refused/decisions")
                # A request aiohttp cannot parse: its error quoted the header's bytes, at ERROR.
                host, port = api.base_url.removeprefix("http://").split(":")
                reader, writer = await asyncio.open_connection(host, int(port))
                writer.write(
                    f"POST /v1/inbound/email HTTP/1.1\r\nHost: x\r\nX-Name: {NAME} <{ADDRESS}>\x01\r\n"
                    "Content-Length: 0\r\n\r\n".encode()
                )
                malformed = await reader.read(12)
                writer.close()
    finally:
        controller.stop()
        down_crm.close()
    # The scenarios ran as meant: stored, quarantined (202), refused with 4xx, and the adapter really failed.
    assert statuses[:4] == [201, 201, 200, 200], statuses
    assert statuses[4:6] == [201, 201] and statuses[6:9] == [202, 202, 202], statuses
    assert statuses[9] == 413 and statuses[10] == 202, statuses  # too large: not kept; no From: quarantined
    assert all(400 <= s < 500 for s in statuses[11:]), statuses
    failures = [d["note"] or "" for d in trail.body["decisions"]]
    failures += [e["detail"] or "" for d in trail.body["decisions"] for e in d["executed"]]
    assert any("recipient refused" in f for f in failures), trail.body
    assert malformed == b"HTTP/1.0 400" and any(
        "malformed HTTP request" in r.getMessage() for r in caplog.records
    )
    formatter = logging.Formatter("%(message)s")
    # The test's own SMTP server (aiosmtpd, logger `mail.log`) narrates the dialogue: not the service.
    records = [r for r in caplog.records if not r.name.startswith("mail.")]
    captured = "\n".join(formatter.format(r) + " " + repr(r.__dict__) for r in records)
    out, err = capfd.readouterr()
    assert len(records) > 10  # the log is there (worker, SDK, API) ...
    # One INFO line per send says what went out, never to whom: not even the conversation id (the
    # activity logger appended the workflow id `conversation:<tenant>:pii-1` to every one).
    sends = [r for r in records if r.getMessage().startswith("outbound ")]
    assert sends and not [r for r in sends if "pii-" in formatter.format(r) + repr(r.__dict__)]
    for marker in MARKERS:  # ... without any of the personal data
        assert marker not in captured, [
            formatter.format(r) for r in records if marker in formatter.format(r) + repr(r.__dict__)
        ]
        assert marker not in out + err


async def test_database_errors_do_not_quote_the_statements_parameters(settings: Settings) -> None:
    """A failing statement's error (which the SDK logs when an activity fails) names no parameter."""
    engine = database_of(settings)
    try:
        async with engine.connect() as connection:
            with pytest.raises(SQLAlchemyError) as failed:
                await connection.execute(
                    text("SELECT * FROM no_such_table WHERE email = :email"), {"email": ADDRESS}
                )
    finally:
        await engine.dispose()
    assert "no_such_table" in str(failed.value) and MARK not in str(failed.value)
