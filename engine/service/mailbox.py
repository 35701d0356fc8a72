"""A tenant's support mailbox, read over IMAP by the worker: every mail becomes a conversation's
message, a bounce on one, or a quarantined item, exactly once, and only then leaves the inbox.

Why the worker's supervised task and not a Temporal workflow per mailbox (docs/ARCHITECTURE.md,
"Mailboxes"): IMAP IDLE is one long-lived TCP connection that the server pushes into. In Temporal it
would live inside one long heartbeating activity anyway, and the workflow around it would only grow
a history per poll. The durability a mailbox needs is already in the mailbox: a mail not yet marked
is a mail not yet taken. So:

1. fetch the mails not marked taken (`UID SEARCH UNKEYWORD $ConvoflowTaken`), of the mail that was
   there when the mailbox was first connected only the unread (`existing_mail: unread`, the default:
   a mailbox connected with handled mail in it must not answer all of it; engine/db/mailbox_marks.py),
   with BODY.PEEK so a person's unread mail stays unread until it is taken;
2. take each into the tenant (engine/api/email_intake.py): the conversation accepted it, or the
   quarantine holds it;
3. only then mark it (`$ConvoflowTaken` and `\\Seen`, or `\\Seen` and a MOVE to `processed_folder`).

A crash (or a kill) anywhere before 3 leaves the mail unmarked; after a restart it is fetched
again, and its stable Message-ID (its own, or derived from its content) makes the second take a
duplicate that the database and the conversation both recognise, so it is marked and arrives once.
Every worker with CONVOFLOW_MAILBOXES set reads the mailboxes: two workers on one mailbox fetch the
same mail twice but still deliver it once. Give every worker the same setting all the same: it also
says which address each tenant's mail goes out from (worker.py `tenant_senders`), and a worker
without it would send From CONVOFLOW_EMAIL_FROM.

Nothing of a mail reaches a log line: the mailbox name, the tenant, counts and outcome kinds only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from typing import Any

from aioimaplib import IMAP4, STOP_WAIT_SERVER_PUSH
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.api.email_intake import Intake, MailIntake
from engine.api.errors import ApiError
from engine.db.keys import tenant_exists
from engine.db.mailbox_marks import MailboxMarks
from engine.service.imap_wire import MailboxError, quoted, search_uids, selected_number, starttls
from engine.service.mailbox_config import MailboxConfig, MailboxConfigError, password_digest
from engine.service.metrics import MAILBOX_CHECKED, MAILBOX_CONNECTED, MAILBOX_ERRORS

log = logging.getLogger("convoflow.mailbox")
TAKEN = "$ConvoflowTaken"
FETCH_LITERAL = re.compile(rb"^\d+ FETCH \(.*UID (\d+)")
MAX_BACKOFF_SECONDS = 60.0


class LoginRefused(MailboxError):
    """The server refused the login: tried again after LOGIN_RETRY_SECONDS, not the backoff's minute,
    since hosted mail locks an account out after a few wrong passwords in a row."""


LOGIN_RETRY_SECONDS = 900.0
# While a refused login waits, how often the password is read again: one mended (the variable, the
# file) is tried at once, not up to 15 minutes later.
PASSWORD_CHECK_SECONDS = 5.0


class NoSuchTenant(MailboxError):
    """CONVOFLOW_MAILBOXES names a tenant nobody created: nothing is taken until one is."""


class MailboxConnector:
    """Reads one mailbox until cancelled: reconnects with backoff, IDLE when it can, polls otherwise."""

    def __init__(
        self, config: MailboxConfig, intake: MailIntake, database: AsyncEngine | None = None
    ) -> None:
        self.config = config
        self._intake = intake
        self._database = database
        """The control-plane database: whether the tenant exists, where the mailbox began (None in
        tests of the IMAP side alone: neither is asked)."""
        self._marks = MailboxMarks(database) if database is not None else None
        self.taken = 0
        """Mails taken (and marked) since start: what a test or an operator watches."""
        self.connected = asyncio.Event()
        self._labels = (config.tenant, config.name)
        MAILBOX_CONNECTED.labels(*self._labels).set(0)  # a series from the start: an alert sees 0
        self._lost = asyncio.Event()
        """Set when the server closed the connection (a restart): an IDLE wait ends at once."""
        self._tried: bytes | None = None
        self.idling = asyncio.Event()
        """Set while the connector waits in IDLE for the server's news (what a test watches)."""
        self._first_uid: int | None = None
        """`existing_mail: unread`: the UID from which mail is taken read or not (mailbox_marks.py);
        None: every mail not taken is (`all`, or no store of marks: unread mail only)."""

    async def run(self) -> None:
        backoff = 1.0
        while True:
            _stop_if_cancelled()
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server, the network or the service: all retried, none fatal
                if self._lost.is_set():  # the server ended a session (a restart): back at once, not
                    backoff = 1.0  # after its earlier failures' backoff; any other fault keeps growing it
                self.connected.clear()
                MAILBOX_ERRORS.labels(*self._labels, error_kind(exc)).inc()
                wait = LOGIN_RETRY_SECONDS if isinstance(exc, LoginRefused) else backoff
                log.warning(
                    "mailbox %s (tenant %s): %s; reconnecting in %.0f s",
                    self.config.name,
                    self.config.tenant,
                    _describe(exc),
                    wait,
                )
                _stop_if_cancelled()  # not a minute's backoff or 15 minutes' wait first
                if isinstance(exc, LoginRefused):
                    await self._wait_for_a_new_password(wait)
                else:
                    await asyncio.sleep(wait)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            else:
                backoff = 1.0

    async def _wait_for_a_new_password(self, seconds: float) -> None:
        """Sleep `seconds` after a refused login, or until `password_file` holds another password
        (by digest; one that cannot be read right now is not another)."""
        waited = 0.0
        while waited < seconds:
            _stop_if_cancelled()
            await asyncio.sleep(step := min(PASSWORD_CHECK_SECONDS, seconds - waited))
            waited += step
            log.debug("mailbox %s: password check after %.0f s", self.config.name, waited)
            if (now := self.config.password_digest()) is not None and now != self._tried:
                return

    async def _session(self) -> None:
        self._lost = asyncio.Event()  # this session's: a failure before it connects is not a loss
        if self._database is not None and not await tenant_exists(self._database, self.config.tenant):
            raise NoSuchTenant(
                f"no tenant {self.config.tenant!r}: its mail stays in the mailbox until the tenant is "
                "created (`convoflow tenant create`) or CONVOFLOW_MAILBOXES names another"
            )
        log.debug("mailbox %s: connecting", self.config.name)
        client = await self.connect()
        log.debug("mailbox %s: logged in", self.config.name)
        try:
            selected = await self._select(client)
            await self._mark_the_start(client, selected)
            self.connected.set()
            MAILBOX_CONNECTED.labels(*self._labels).set(1)
            while True:
                _stop_if_cancelled()
                await self.take_pending(client)
                MAILBOX_CHECKED.labels(*self._labels).set_to_current_time()
                await self._wait_for_mail(client)
        finally:
            self.connected.clear()
            MAILBOX_CONNECTED.labels(*self._labels).set(0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.logout(), 2)

    async def connect(self) -> IMAP4:
        """A logged-in client over the configured transport."""
        c = self.config
        context = ssl.create_default_context(cafile=str(c.cafile) if c.cafile else None)
        client: IMAP4
        lost = self._lost
        # IMAP4 with a context is IMAP4_SSL, which takes no callback for the connection's end.
        implicit_tls = context if c.security == "tls" else None
        client = IMAP4(
            c.host, c.server_port, timeout=30, conn_lost_cb=lambda _: lost.set(), ssl_context=implicit_tls
        )
        await client.wait_hello_from_server()
        if c.security == "starttls":
            await starttls(client, context, c.host)
        password = c.password()
        self._tried = password_digest(password)  # what a refusal waits to see mended
        response = await client.login(c.user, password)
        if response.result != "OK":
            raise LoginRefused("login refused: check the user and password")
        return client

    async def _select(self, client: IMAP4) -> list[bytes]:
        """Select the folder; the server's answer (its UIDVALIDITY and UIDNEXT among the lines)."""
        response = await client.select(quoted(self.config.folder))
        if response.result != "OK":
            raise MailboxError(f"folder {self.config.folder!r} cannot be selected")
        if self.config.processed_folder:
            await client.create(quoted(self.config.processed_folder))  # NO when it exists: fine
        return [bytes(line) for line in response.lines]

    async def take_pending(self, client: IMAP4) -> int:
        """Take every mail not yet marked, oldest first; how many were taken."""
        uids = await self._search(client, f"UNKEYWORD {TAKEN} NOT DELETED")
        after = self._first_uid
        older = {uid for uid in uids if after is None or int(uid) < after}
        if self.config.existing_mail == "unread" and older:  # asked only when mail from before is there
            unread = set(await self._search(client, f"UNSEEN UNKEYWORD {TAKEN} NOT DELETED"))
            uids = [uid for uid in uids if uid in unread or uid not in older]
        count = repeats = 0
        for uid in uids:
            raw = await self._fetch(client, uid)
            if raw is None:
                continue  # gone meanwhile (another client moved it)
            taken = await self._intake.take(
                self.config.tenant,
                raw,
                source=f"imap:{self.config.name}",
                own_addresses=[a for a in (self.config.support_address,) if a],
            )
            await self.mark(client, uid, taken)
            count += 1
            self.taken += 1
            repeats += taken.outcome == "duplicate"
        if count:
            # Two workers reading one mailbox both fetch a new mail, one takes it: each said "took 30"
            # of the same 30 (helper-123). The other's are repeats, said apart.
            again = f" ({repeats} taken before: by another worker, or fetched again)" if repeats else ""
            c = self.config
            log.info("mailbox %s (tenant %s): took %d mail(s)%s", c.name, c.tenant, count - repeats, again)
        return count

    async def _search(self, client: IMAP4, criteria: str) -> list[str]:
        response = await client.uid_search(criteria)
        if response.result != "OK":
            raise MailboxError("search refused")
        return search_uids(response.lines)

    async def _mark_the_start(self, client: IMAP4, selected: list[bytes]) -> None:
        """`existing_mail: unread`: learn (or record, the first time) from which UID mail is taken
        read or not, and say at every connection how many read mails from before it are left."""
        if self.config.existing_mail != "unread" or self._marks is None:
            return
        validity, uid_next = (
            selected_number(selected, b"UIDVALIDITY"),
            selected_number(selected, b"UIDNEXT"),
        )
        if validity is None or uid_next is None:
            raise MailboxError("the server's SELECT names no UIDVALIDITY and UIDNEXT")
        c = self.config
        self._first_uid = await self._marks.first_uid(c.tenant, c.name, validity, uid_next)
        read = await self._search(client, f"SEEN UNKEYWORD {TAKEN} NOT DELETED")
        left = [uid for uid in read if int(uid) < self._first_uid]
        if left:
            log.info(
                "mailbox %s (tenant %s): %d read mail(s) from before it was connected left as they are "
                "(existing_mail: unread; `all` takes them)",
                c.name,
                c.tenant,
                len(left),
            )

    async def _fetch(self, client: IMAP4, uid: str) -> bytes | None:
        response = await client.uid("fetch", uid, "(BODY.PEEK[])")
        if response.result != "OK":
            raise MailboxError("fetch refused")
        for line in response.lines:
            if isinstance(line, bytearray):
                return bytes(line)
        return None

    async def mark(self, client: IMAP4, uid: str, taken: Intake) -> None:
        """The mail was accepted (or quarantined): move it out, or flag it taken."""
        folder = self.config.processed_folder
        if not folder:
            response = await client.uid("store", uid, f"+FLAGS.SILENT (\\Seen {TAKEN})")
            if response.result != "OK":
                raise MailboxError("marking a taken mail was refused")
            return
        # Read before it moves (the Done folder showed all unread); a refused move takes the flag
        # back, so the mail is taken again, not left read but untaken (`existing_mail: unread` would
        # skip it). No keyword: a refused move retries, and a server keeping none of ours still moves.
        await client.uid("store", uid, "+FLAGS.SILENT (\\Seen)")
        response = await client.uid("move", uid, quoted(folder))
        if response.result != "OK":
            with contextlib.suppress(Exception):
                await client.uid("store", uid, "-FLAGS.SILENT (\\Seen)")
            raise MailboxError("moving a taken mail was refused")

    async def _wait_for_mail(self, client: IMAP4) -> None:
        """Until the server says mail arrived (IDLE), or `poll_seconds` pass."""
        seconds = self.config.poll_seconds
        if not (self.config.idle and client.has_capability("IDLE")):
            await asyncio.sleep(seconds)
            await client.noop()
            return
        idle = await client.idle_start(timeout=seconds)
        # One deadline for the whole IDLE: a server's keep-alive pushes ("OK Still here") restarted
        # the wait, and the mailbox went unchecked (and its checked gauge stale) far past poll_seconds.
        deadline = asyncio.get_running_loop().time() + seconds
        self.idling.set()
        try:
            while client.has_pending_idle():
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                try:
                    pushed = await self._server_push(client, left)
                except TimeoutError:
                    break
                if pushed == STOP_WAIT_SERVER_PUSH:
                    break
                lines = [line for line in pushed if isinstance(line, bytes)]
                if any(line.startswith(b"BYE") for line in lines):  # shutting down: reconnect now
                    self._lost.set()  # it closes the connection next: nothing more to say or wait for
                    raise MailboxError("the server ended the session (BYE)")
                if any(line.endswith(b"EXISTS") for line in lines):
                    break
        finally:
            self.idling.clear()
            if self._lost.is_set():  # nobody to say DONE to, nor an answer to wait 5 s for
                idle.cancel()
            else:
                if client.has_pending_idle():
                    client.idle_done()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(idle, 5)

    async def _server_push(self, client: IMAP4, seconds: float) -> Any:
        """The server's next push within `seconds`; MailboxError when the connection closes first:
        a restarted server was noticed only when IDLE's wait ran out and the next command timed
        out (40-60 s), its gauge saying connected all along."""
        push = asyncio.ensure_future(client.wait_server_push(timeout=seconds))
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait({push, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            pushed = push.done()
            if not pushed:  # lost, or this task cancelled: a push left waiting ended later in
                push.cancel()  # "Task exception was never retrieved" (its TimeoutError)
        if not pushed:
            raise MailboxError("the server closed the connection")
        return push.result()


def _stop_if_cancelled() -> None:
    """Stop a connector asked to stop whose request was lost on the way.

    Python 3.11's asyncio.wait_for, which aioimaplib waits for every answer with, swallows a
    cancellation that arrives in the instant its answer does (fixed in 3.12), and the connector
    went on reading: a worker shutting down waited for its mailboxes for ever. The task still
    counts the request."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _describe(exc: BaseException) -> str:
    """An error for the log: its kind, and our own messages (never a server's text, it may quote mail).

    A setting's mistake (a password variable not set, a file not readable) and a certificate that
    does not verify say what: "MailboxConfigError" alone, repeated every minute, told nobody."""
    if isinstance(exc, MailboxError | MailboxConfigError):
        return str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's certificate does not verify ({exc.verify_message}): check `cafile`"
    if isinstance(exc, ApiError):  # its code, not its message (it may name the conversation)
        # A bare "ApiError" said nothing of what refused (helper-122): most often no worker took the
        # mail's conversation in time (503 worker_unavailable), and the mail waits in the inbox.
        return f"the service did not take a mail ({exc.status} {exc.code}); it stays in the mailbox"
    return type(exc).__name__


def error_kind(exc: BaseException) -> str:
    """A failed session's kind for `convoflow_mailbox_errors` (a few values: labels stay bounded)."""
    if isinstance(exc, NoSuchTenant):
        return "no_tenant"
    if isinstance(exc, LoginRefused):
        return "login_refused"
    if isinstance(exc, MailboxConfigError):
        return "settings"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "certificate"
    if isinstance(exc, MailboxError):
        return "refused"
    if isinstance(exc, OSError | TimeoutError):
        return "network"
    if isinstance(exc, ApiError):
        return "service"
    return "other"


async def run_mailboxes(connectors: list[MailboxConnector]) -> None:
    """Run every connector until cancelled (one failing mailbox never stops another)."""
    if not connectors:
        return
    async with asyncio.TaskGroup() as group:
        for connector in connectors:
            group.create_task(connector.run(), name=f"mailbox:{connector.config.name}")
