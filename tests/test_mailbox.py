"""A tenant's support mailbox over real IMAP (Dovecot) and real SMTP (aiosmtpd): issue 20.

Every mail of the corpus (tests/data/email) put into the mailbox with IMAP APPEND becomes a
conversation, a bounce on one, or a quarantined item, and leaves the inbox only after that; the
acknowledgement goes out threaded; a connector killed between fetch and accept (or between accept
and marking) delivers the mail exactly once after its restart.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import pytest
from temporalio.client import Client

from engine.api.conversation_calls import Conversations
from engine.api.email_intake import Intake, MailIntake
from engine.contracts.ids import derived_id
from engine.mail import parse_mail
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.mail_intake import mail_intake
from engine.service.mailbox import MailboxConnector, MailboxError
from engine.service.mailbox_config import MailboxConfig, MailboxConfigError, mailboxes_of
from engine.service.metrics import REGISTRY
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish, serve_service
from tests.data.email.generate import EXPECTED, OUR_REPLY_ID
from tests.local_servers import serve_smtp
from tests.mail_server import PASSWORD, Dovecot, append, imap_session, searched, untaken
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.test_metrics import parse, scrape, value

CORPUS = Path(__file__).parent / "data" / "email"
PASSWORD_ENV = "CONVOFLOW_TEST_IMAP_PASSWORD"


def mailbox(tenant: str, server: Dovecot, user: str, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "name": f"support-{tenant}",
        "tenant": tenant,
        "host": server.host,
        "port": server.tls_port,
        "security": "tls",
        "cafile": str(server.cafile),
        "user": user,
        "password_env": PASSWORD_ENV,
        "address": "support@convoflow.local",
        "poll_seconds": 5,
    }
    return {**config, **overrides}


@pytest.fixture
def imap_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


async def test_every_corpus_mail_in_the_mailbox_becomes_a_conversation_a_bounce_or_a_quarantined_item(
    client: Client, settings: Settings, tenants: dict[str, str], dovecot: Dovecot, imap_password: None
) -> None:
    tenant = tenants["acme"]
    user = dovecot.add_user(f"corpus-{tenant}@example.org")
    publish(settings, TEST_PACKS / "mail")
    with serve_smtp() as (port, inbox):
        chosen = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_starttls": False,
                "mailboxes": json.dumps([mailbox(tenant, dovecot, user)]),
            }
        )
        async with serve_service(client, chosen, tenants) as api:
            # The conversation whose reply will bounce (its customer's mailbox is gone).
            assert (await api.post_message("bounced-1", "m-1", sender="gone@customer.example")).status == 201
            corpus = {name: (CORPUS / f"{name}.eml").read_bytes() for name in EXPECTED}
            await append(dovecot, user, *corpus.values())

            async def inbox_empty() -> bool:
                return not await untaken(dovecot, user)

            await eventually(inbox_empty, "the connector to take every mail", within=30)
            held = (await api.request("GET", "/v1/quarantine?limit=1000")).body["items"]
            held_by_id = {item["message_id"]: item for item in held}
            for name, expected in EXPECTED.items():
                mail = parse_mail(corpus[name])
                if expected.startswith("quarantine:"):
                    item = held_by_id.get(mail.message_id)
                    assert item is not None and item["reason"] == expected.split(":")[1], (name, item)
                    assert item["source"] == f"imap:support-{tenant}"
                elif expected == "bounce":
                    state = (await api.get("bounced-1")).body
                    assert "bounced" in state["tags"], state
                    assert state["customer_messages"] == 1  # a bounce is no customer message
                else:
                    state = await api.get(derived_id("email", mail.message_id))
                    assert state.status == 200, (name, state.body)
                    assert state.body["customer_messages"] == 1, name
                    assert ("automated" in state.body["tags"]) == (expected == "automatic"), (
                        name,
                        state.body,
                    )
            assert len(held) == sum(e.startswith("quarantine:") for e in EXPECTED.values())
            # Rules read the new text and the quoted history apart.
            quoted = parse_mail(corpus["quoted-de"])
            assert "has-history" in (await api.get(derived_id("email", quoted.message_id))).body["tags"]

            async def all_acknowledged() -> bool:
                customers = sum(e == "customer" for e in EXPECTED.values()) + 1  # + bounced-1's
                return len(inbox.messages) >= customers

            await eventually(all_acknowledged, "the acknowledgements", within=30)
            # Only customers were answered, and each acknowledgement is threaded under their mail.
            answered = sorted(to for _, rcpts in inbox.envelopes for to in rcpts)
            assert not [a for a in answered if "offers" in a or "spam" in a or "daemon" in a.lower()], (
                answered
            )
            ack = next(m for m in inbox.messages if m["In-Reply-To"] == "<plain@customer.example>")
            assert "<plain@customer.example>" in ack["References"]
            assert ack["Subject"] == "Re: Invoice wrong"
            decisions = (await api.request("GET", "/v1/conversations/bounced-1/decisions")).body["decisions"]
            bounce = next(d for d in decisions if d["event"] == "message.bounced")
            assert [m["rule"] for m in bounce["matched"]] == ["bounced"] if "matched" in bounce else True
    assert OUR_REPLY_ID  # the DSN returns this Message-ID: <bounced-1.…@convoflow.local>


class PausedIntake(MailIntake):
    """The real intake, which stops (forever) at `where` once: a process killed there never continues."""

    def __init__(self, inner: MailIntake) -> None:
        self.__dict__.update(inner.__dict__)
        self.reached = asyncio.Event()

    async def take(self, tenant: str, raw: bytes, **kw: object) -> Intake:  # type: ignore[override]
        self.reached.set()
        await asyncio.Event().wait()  # fetched, never accepted
        raise AssertionError("unreachable")


class UnmarkedConnector(MailboxConnector):
    """A connector that stops (forever) after the intake accepted a mail and before it is marked."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.reached = asyncio.Event()

    async def mark(self, client, uid, taken):  # type: ignore[no-untyped-def]
        self.reached.set()
        await asyncio.Event().wait()


async def test_a_connector_killed_between_fetch_accept_and_mark_delivers_the_mail_exactly_once(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    worker: None,
    api: ApiClient,
    outbox: OutboxRows,
    dovecot: Dovecot,
    imap_password: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tenant = tenants["acme"]
    caplog.set_level("INFO", logger="convoflow.mailbox")
    user = dovecot.add_user(f"crash-{tenant}@example.org")
    config = MailboxConfig.model_validate(mailbox(tenant, dovecot, user, processed_folder="Done"))
    database = database_of(settings)
    try:
        conversations = Conversations.of(client, settings, database)
        intake = mail_intake(conversations, database)
        raw = (CORPUS / "no-message-id.eml").read_bytes()  # the hardest case: its id is derived
        conversation = derived_id("email", parse_mail(raw).message_id)
        await append(dovecot, user, raw)

        async def killed(connector: MailboxConnector, reached: asyncio.Event) -> None:
            task = asyncio.create_task(connector.run())
            await asyncio.wait_for(reached.wait(), 30)
            task.cancel()  # the process dies here: nothing after this point happens
            with pytest.raises(asyncio.CancelledError):
                await task

        # 1. Killed after the fetch, before the conversation accepted it: nothing happened at all.
        paused = PausedIntake(intake)
        await killed(MailboxConnector(config, paused), paused.reached)
        assert len(await untaken(dovecot, user)) == 1
        assert (await api.get(conversation)).status == 404
        # 2. Killed after the conversation accepted it, before the mail was moved: still in the inbox.
        unmarked = UnmarkedConnector(config, intake)
        await killed(unmarked, unmarked.reached)
        assert len(await untaken(dovecot, user)) == 1

        async def handled() -> bool:  # accepted means recorded; the count follows when handled
            return (await api.get(conversation)).body["customer_messages"] == 1

        await eventually(handled, "the accepted mail handled by its conversation")
        # 3. Restarted: taken again, recognised, moved; the conversation has it once, answered once.
        restarted = MailboxConnector(config, intake)
        task = asyncio.create_task(restarted.run())
        try:

            async def moved() -> bool:
                return (
                    not await searched(dovecot, user, "ALL")
                    and len(await searched(dovecot, user, "ALL", "Done")) == 1
                )

            await eventually(moved, "the mail to be moved to Done", within=30)
            # read, as the flag-in-place mail is: the Done folder showed every mail unread
            assert len(await searched(dovecot, user, "SEEN", "Done")) == 1
            # said as the repeat it is ("took 1 mail(s)" read as a second mail; two workers reading
            # one mailbox both said so of every mail: helper-123)
            said = [r.getMessage() for r in caplog.records if "took" in r.getMessage()]
            assert said[-1].endswith("took 0 mail(s) (1 taken before: by another worker, or fetched again)")
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert (await api.get(conversation)).body["customer_messages"] == 1
        acks = [r for r in outbox.read_all(tenant) if r["conversation_id"].endswith(f":{conversation}")]
        assert [a["kind"] for a in acks] == ["auto_reply"], acks
    finally:
        await database.dispose()


async def _append_read(server: Dovecot, user: str, raw: bytes) -> None:
    """Mail a person opened (and answered) in their mail client: flagged \\Seen."""
    session = await imap_session(server, user)
    try:
        assert (await session.append(raw, mailbox="INBOX", flags="(\\Seen \\Answered)")).result == "OK"
    finally:
        await session.logout()


@pytest.mark.parametrize("existing_mail", ["unread", "all"])
async def test_a_mailbox_connected_with_handled_mail_in_it_takes_only_the_unread_of_it(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    dovecot: Dovecot,
    imap_password: None,
    caplog: pytest.LogCaptureFixture,
    existing_mail: str,
) -> None:
    """Connected with last year's read and answered mail in it, the connector acknowledged every one
    of those customers (and opened a conversation with SLA clocks for each). Mail that comes later is
    taken read or not: one a colleague opened before the connector took it is a customer's too."""
    tenant = tenants["acme"]
    began = time.time()
    user = dovecot.add_user(f"backlog-{existing_mail}-{tenant}@example.org")
    publish(settings, TEST_PACKS / "mail")
    old = (CORPUS / "plain.eml").read_bytes()
    new = (CORPUS / "no-message-id.eml").read_bytes()
    later = (CORPUS / "html-only.eml").read_bytes()
    await _append_read(dovecot, user, old)
    await append(dovecot, user, new)
    caplog.set_level("INFO", logger="convoflow.mailbox")
    chosen = settings.model_copy(
        update={"mailboxes": json.dumps([mailbox(tenant, dovecot, user, existing_mail=existing_mail)])}
    )
    async with serve_service(client, chosen, tenants) as api:

        async def taken(raw: bytes) -> bool:
            return (await api.get(derived_id("email", parse_mail(raw).message_id))).status == 200

        await eventually(lambda: taken(new), "the unread mail taken", within=30)
        await _append_read(dovecot, user, later)  # arrived after the connection, opened at once
        await eventually(lambda: taken(later), "the mail that came later taken, read or not", within=30)
        # What an operator's alert reads: connected, and checked for mail since the test began.
        status, text = await scrape(api.session, api.base_url + "/metrics")
        samples, labels = parse(text), {"tenant": tenant, "mailbox": f"support-{tenant}"}
        assert status == 200 and value(samples, "convoflow_mailbox_connected", **labels) == 1
        checked = value(samples, "convoflow_mailbox_checked_timestamp_seconds", **labels)
        assert checked is not None and checked >= began, (checked, began)
        if existing_mail == "all":
            await eventually(lambda: _no_mail_left(dovecot, user), "every mail taken", within=30)
        old_state = await api.get(derived_id("email", parse_mail(old).message_id))
    if existing_mail == "unread":
        assert old_state.status == 404 and len(await untaken(dovecot, user)) == 1
        told = [r.getMessage() for r in caplog.records if "left as they are" in r.getMessage()]
        assert told == [
            f"mailbox support-{tenant} (tenant {tenant}): 1 read mail(s) from before it was connected "
            "left as they are (existing_mail: unread; `all` takes them)"
        ]
    else:
        assert old_state.status == 200


async def _no_mail_left(server: Dovecot, user: str) -> bool:
    return not await untaken(server, user)


async def test_each_tenant_answers_from_its_own_mailbox_and_the_customer_s_reply_comes_back_to_it(
    client: Client, settings: Settings, tenants: dict[str, str], dovecot: Dovecot, imap_password: None
) -> None:
    """Every tenant's mail went out From CONVOFLOW_EMAIL_FROM: the customer of one tenant answered
    that address, whose mailbox was another tenant's, and their reply became that tenant's new
    conversation (with a second acknowledgement)."""
    acme, globex = tenants["acme"], tenants["globex"]
    users = {t: dovecot.add_user(f"own-{t}@example.org") for t in (acme, globex)}
    addresses = {acme: "help@acme.example", globex: "support@globex.example"}
    publish(settings, TEST_PACKS / "mail")  # for every tenant of the test
    boxes = [mailbox(t, dovecot, users[t], name=f"box-{t}", address=addresses[t]) for t in (acme, globex)]
    first = (
        b"From: Olga <olga@customer.example>\r\nTo: support@globex.example\r\nSubject: My order\r\n"
        b"Message-ID: <olga-1@customer.example>\r\n\r\nWhere is my order?\r\n"
    )
    with serve_smtp() as (port, inbox):
        chosen = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_starttls": False,
                "mailboxes": json.dumps(boxes),
            }
        )
        async with serve_service(client, chosen, tenants) as api:
            await append(dovecot, users[globex], first)

            async def acknowledged() -> bool:
                return len(inbox.messages) >= 1

            await eventually(acknowledged, "the acknowledgement", within=30)
            (ack,) = inbox.messages
            assert ack["From"] == "support@globex.example" and ack["To"] == "olga@customer.example"
            # Our ids keep the deployment's domain, which every intake path (a quarantine release,
            # POST /v1/inbound/email) tells as ours.
            assert str(ack["Message-ID"]).endswith("@convoflow.local>")
            # Olga answers it: her mail client sends to the From, which is globex's mailbox.
            reply = (
                b"From: Olga <olga@customer.example>\r\nTo: support@globex.example\r\n"
                b"Subject: Re: My order\r\nMessage-ID: <olga-2@customer.example>\r\n"
                + f"In-Reply-To: {ack['Message-ID']}\r\nReferences: {ack['Message-ID']}\r\n".encode()
                + b"\r\nIt is order 1234.\r\n"
            )
            await append(dovecot, users[globex], reply)
            conversation = derived_id("email", "<olga-1@customer.example>")

            async def joined() -> bool:
                found = await api.get(conversation, tenant="globex")
                return found.status == 200 and found.body["customer_messages"] == 2

            await eventually(joined, "the reply in the same conversation", within=30)
        assert len(inbox.messages) == 1  # one acknowledgement: the reply was no new conversation


async def test_tls_starttls_and_a_wrong_certificate(
    settings: Settings, dovecot: Dovecot, imap_password: None, tenants: dict[str, str]
) -> None:
    """Implicit TLS and STARTTLS log in; an unverifiable certificate never gets the password."""
    user = dovecot.add_user(f"tls-{tenants['acme']}@example.org")
    for overrides in (
        {},
        {"security": "starttls", "port": dovecot.port},
        {"security": "plain", "port": dovecot.port},
    ):
        config = MailboxConfig.model_validate(mailbox(tenants["acme"], dovecot, user, **overrides))
        client = await MailboxConnector(config, None).connect()  # type: ignore[arg-type]
        await client.logout()
    untrusted = MailboxConfig.model_validate(mailbox(tenants["acme"], dovecot, user, cafile=None))
    with pytest.raises(Exception) as failed:
        await MailboxConnector(untrusted, None).connect()  # type: ignore[arg-type]
    assert "CERTIFICATE_VERIFY_FAILED" in str(failed.value) or isinstance(failed.value, MailboxError)


async def test_a_mailbox_that_cannot_work_says_why_in_the_log_and_leaves_its_mail(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    dovecot: Dovecot,
    imap_password: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tenant's typo took the mail into conversations no key can read (flagged taken in the
    mailbox); a password variable not set logged "MailboxConfigError; reconnecting" every minute,
    and an untrusted certificate "SSLCertVerificationError": nobody learned what to mend. A wrong
    password was tried again every minute for ever."""
    user = dovecot.add_user(f"broken-{tenants['acme']}@example.org")
    await append(dovecot, user, (CORPUS / "plain.eml").read_bytes())
    database = database_of(settings)
    caplog.set_level("WARNING", logger="convoflow.mailbox")
    try:
        # No worker runs here: a mail's conversation answers 503 within a second.
        hurried = settings.model_copy(update={"update_timeout_seconds": 1.0})
        conversations = Conversations.of(client, hurried, database)
        intake = mail_intake(conversations, database)
        monkeypatch.delenv("UNSET_FOR_THIS_TEST", raising=False)
        monkeypatch.setenv("WRONG_FOR_THIS_TEST", "not-the-password")
        cases = {
            "nosuch": mailbox("nosuch", dovecot, user),
            "unset": mailbox(
                tenants["acme"], dovecot, user, password_env="UNSET_FOR_THIS_TEST", name="unset"
            ),
            "untrusted": mailbox(tenants["acme"], dovecot, user, cafile=None, name="untrusted"),
            "wrong": mailbox(
                tenants["acme"], dovecot, user, password_env="WRONG_FOR_THIS_TEST", name="wrong"
            ),
            "noworker": mailbox(tenants["acme"], dovecot, user, name="noworker"),
        }
        said = {
            "nosuch": "mailbox support-nosuch (tenant nosuch): no tenant 'nosuch': its mail stays in the "
            "mailbox until the tenant is created",
            # the mailbox was named twice: "mailbox unset (tenant t): mailbox unset: environment ..."
            "unset": f"mailbox unset (tenant {tenants['acme']}): environment variable "
            "UNSET_FOR_THIS_TEST is not set",
            "untrusted": f"mailbox untrusted (tenant {tenants['acme']}): the server's certificate does not "
            "verify (",
            # hosted mail locks an account out after a few wrong passwords: not tried every minute
            "wrong": f"mailbox wrong (tenant {tenants['acme']}): login refused: check the user and password; "
            "reconnecting in 900 s",
            # it said "ApiError; reconnecting in 1 s" (helper-122)
            "noworker": f"mailbox noworker (tenant {tenants['acme']}): the service did not take a mail "
            "(503 worker_unavailable); it stays in the mailbox",
        }
        kinds = {
            "nosuch": "no_tenant",
            "unset": "settings",
            "untrusted": "certificate",
            "wrong": "login_refused",
            "noworker": "service",
        }
        for case, config in cases.items():
            connector = MailboxConnector(MailboxConfig.model_validate(config), intake, database)
            task = asyncio.create_task(connector.run())
            try:

                async def told(case: str = case) -> bool:
                    return any(r.getMessage().startswith(said[case]) for r in caplog.records)

                await eventually(told, f"the {case} mailbox's warning")
                failed = {"tenant": config["tenant"], "mailbox": config["name"], "error": kinds[case]}
                assert REGISTRY.get_sample_value("convoflow_mailbox_errors_total", failed), case
                connected = {"tenant": config["tenant"], "mailbox": config["name"]}
                assert REGISTRY.get_sample_value("convoflow_mailbox_connected", connected) == 0, case
            finally:
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
        assert len(await untaken(dovecot, user)) == 1  # nothing taken by any of them
    finally:
        await database.dispose()


async def test_a_refused_login_is_tried_again_once_the_password_is_mended_not_15_minutes_later(
    tenants: dict[str, str], dovecot: Dovecot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Read at every login from its file ("rotation needs no restart"), a mended password still
    waited out the refused login's 15 minutes: the support mail with it. (No database: what is
    waited for is the login alone.)"""
    user = dovecot.add_user(f"mended-{tenants['acme']}@example.org")
    secret = tmp_path / "imap-password"
    secret.write_text("not-the-password\n")
    config = mailbox(
        tenants["acme"], dovecot, user, password_env=None, password_file=str(secret), name="mended"
    )
    connector = MailboxConnector(MailboxConfig.model_validate(config), None, None)  # type: ignore[arg-type]
    refused = {"tenant": tenants["acme"], "mailbox": "mended", "error": "login_refused"}
    caplog.set_level("DEBUG", logger="convoflow.mailbox")  # each password check and connection
    task = asyncio.create_task(connector.run())
    try:

        async def refused_once() -> bool:
            return bool(REGISTRY.get_sample_value("convoflow_mailbox_errors_total", refused))

        await eventually(refused_once, "the wrong password refused", within=30)
        secret.write_text(PASSWORD + "\n")
        try:
            await asyncio.wait_for(connector.connected.wait(), timeout=60)  # 900 s before
        except TimeoutError:  # it timed out in 3 of 8 CI runs once: say where the connector was
            where = io.StringIO()
            task.print_stack(file=where)
            raise AssertionError(
                f"not logged in with the mended password; the connector at:\n{where.getvalue()}"
            ) from None
        assert REGISTRY.get_sample_value("convoflow_mailbox_errors_total", refused) == 1
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_mailbox_settings_refuse_clear_text_and_passwords_in_the_document() -> None:
    base = {"name": "m", "tenant": "acme", "host": "imap.example.com", "user": "s@example.com"}
    with pytest.raises(MailboxConfigError, match="plain IMAP"):
        mailboxes_of(json.dumps([{**base, "security": "plain", "password_env": "X"}]))
    with pytest.raises(MailboxConfigError, match="password"):
        mailboxes_of(json.dumps([{**base, "password": "hunter2"}]))
    with pytest.raises(MailboxConfigError, match="exactly one"):
        mailboxes_of(json.dumps([base]))
    # A name on the address was kept whole, and the mailbox's own mail was then never seen as a
    # loop: read as the address and its name; a list is refused.
    named = {**base, "password_env": "X", "address": "Acme Support <s@example.com>"}
    (read,) = mailboxes_of(json.dumps([named]))
    assert (read.address, read.display_name) == ("s@example.com", "Acme Support")
    with pytest.raises(MailboxConfigError, match=r"\[0\]: .*address: one email address"):
        mailboxes_of(json.dumps([{**named, "address": "s@example.com, t@example.com"}]))
    allowed = mailboxes_of(
        json.dumps([{**base, "security": "plain", "allow_plain": True, "password_env": "X"}])
    )
    assert allowed[0].server_port == 143
    assert mailboxes_of(json.dumps([{**base, "password_env": "X"}]))[0].server_port == 993


def test_a_search_answer_is_read_past_the_untagged_answers_that_come_with_it() -> None:
    """Mail arriving during a SEARCH adds `N EXISTS` lines: never mistaken for UIDs."""
    from engine.service.imap_wire import search_uids

    assert search_uids([b"4 EXISTS", b"1 RECENT", b"3 4", b"Search completed"]) == ["3", "4"]
    assert search_uids([b"", b"Search completed (0.001 secs)."]) == []


async def test_a_session_the_server_ends_is_noticed_at_once_and_mail_is_taken_again(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    dovecot: Dovecot,
    imap_password: None,
    caplog: pytest.LogCaptureFixture,
    worker: None,
) -> None:
    """A server that ended the session (a restart, an administrator's kick) while the connector
    waited in IDLE was noticed only when the wait ran out and the next command timed out (40-60 s),
    the connected gauge saying 1 all along. Now the end is noticed as it happens, and the
    connector is back within seconds."""
    user = dovecot.add_user(f"kicked-{tenants['acme']}@example.org")
    database = database_of(settings)
    caplog.set_level("WARNING", logger="convoflow.mailbox")
    try:
        conversations = Conversations.of(client, settings, database)
        intake = mail_intake(conversations, database)
        # Polls every 60 s: only IDLE, and the session's end, can wake it sooner.
        config = MailboxConfig.model_validate(mailbox(tenants["acme"], dovecot, user, poll_seconds=60))
        connector = MailboxConnector(config, intake, database)
        task = asyncio.create_task(connector.run())
        try:
            await asyncio.wait_for(connector.idling.wait(), 15)  # what the server does next is the test
            await asyncio.to_thread(dovecot.kick, user)

            async def noticed() -> bool:
                return any(
                    "ended the session" in r.getMessage() or "closed the connection" in r.getMessage()
                    for r in caplog.records
                )

            await eventually(noticed, "the session's end noticed", within=5)
            await asyncio.wait_for(connector.connected.wait(), 5)
            await append(dovecot, user, (CORPUS / "plain.eml").read_bytes())

            async def taken() -> bool:
                return connector.taken == 1

            await eventually(taken, "the mail written after the reconnection taken", within=15)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    finally:
        await database.dispose()


async def test_a_connector_stopped_as_an_answer_arrives_stops(
    tenants: dict[str, str], dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.11's wait_for (aioimaplib waits for every answer with it) swallowed a cancellation
    arriving in the instant of the answer, and the connector went on: a worker shutting down waited
    on its mailbox for ever. The instant is made exact here: the answer and the stop come together."""
    config = MailboxConfig.model_validate(
        mailbox(tenants["acme"], dovecot, "nobody@example.org", password_env="UNSET_FOR_THIS_TEST")
    )
    answers: list[asyncio.Future[None]] = []

    async def connect(self: MailboxConnector) -> None:
        answers.append(answer := asyncio.get_running_loop().create_future())
        await asyncio.wait_for(answer, 30)  # as IMAP4.login waits for the server's answer
        raise MailboxError("refused")

    monkeypatch.setattr(MailboxConnector, "connect", connect)
    task = asyncio.create_task(MailboxConnector(config, None, None).run())  # type: ignore[arg-type]

    async def asked() -> bool:
        return bool(answers)

    await eventually(asked, "the connector waiting for the server's answer")
    answers[0].set_result(None)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=10)
    assert task in done and task.cancelled(), "the connector went on after it was stopped"
