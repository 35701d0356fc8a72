"""Email over SMTP (aiosmtplib): multipart plain + HTML, threading headers, RFC 3834 marks.

Replies stay in the customer's thread through `In-Reply-To`/`References`; automatic messages carry
`Auto-Submitted: auto-replied` so other robots do not answer them. The Message-ID is derived from the
idempotency key, so a message sent twice by a crash is recognisably the same message.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from engine.contracts.message_ids import domain_of, message_id_for, threading_id
from engine.contracts.outbound import OutboundMessage
from engine.mail.addresses import is_one_mailbox, name_and_mailbox

AUTOMATIC_KINDS = frozenset({"auto_reply", "survey", "notification"})


def from_header(address: str, name: str | None) -> str:
    """`Acme Support <support@acme.example>`, or the bare address without a name (quoted and
    encoded as RFC 5322 and 2047 need when the message is written)."""
    return str(Address(display_name=name, addr_spec=address)) if name else address


def build_email(message: OutboundMessage, sender: str, domain: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    subject = message.subject or "Your request"
    email["Subject"] = (
        subject if subject.lower().startswith("re:") or message.kind == "notification" else (f"Re: {subject}")
    )
    email["Date"] = format_datetime(datetime.now(UTC))  # "+0000": formatdate's "-0000" means zone unknown
    email["Message-ID"] = message_id_for(message, domain)
    thread = [t for i in (*message.references, message.in_reply_to) if i and (t := threading_id(i))]
    if thread:
        email["In-Reply-To"] = thread[-1]
        email["References"] = " ".join(thread)
    if message.kind in AUTOMATIC_KINDS:
        email["Auto-Submitted"] = "auto-replied"
        email["X-Auto-Response-Suppress"] = "All"
    email["X-Convoflow-Conversation"] = message.external_conversation_id
    email.set_content(message.text)
    # A single line break is a line of its own (a list, a signature): <br>, as the plain part shows it.
    paragraphs = "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in message.text.split("\n\n")
    )
    email.add_alternative(f"<!doctype html><html><body>{paragraphs}</body></html>", subtype="html")
    return email


class EmailChannel:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        sender_name: str | None = None,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
        tenant_senders: dict[str, str] | None = None,
        own_addresses: list[str] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.sender = from_header(sender, sender_name)
        self._username, self._password = username, password
        self._starttls, self._use_tls = starttls, use_tls
        # Our Message-IDs keep the deployment's domain whatever the From: every intake path (a
        # mailbox, POST /v1/inbound/email, a quarantine release) tells our ids and bounces by it.
        self.domain = domain_of(sender)
        # A tenant with its own support mailbox answers from its address: from the deployment's one,
        # a customer's reply went to that address, whose mailbox is another tenant's (or none).
        self._tenant_senders = dict(tenant_senders or {})
        # Every support address the deployment reads (each tenant's every mailbox), not only those
        # it sends from: a loop released from a tenant's second mailbox was answered too.
        self._ours = {
            split[1].lower()
            for written in (self.sender, *self._tenant_senders.values(), *(own_addresses or []))
            if (split := name_and_mailbox(written)) is not None
        }

    def sender_for(self, tenant: str) -> str:
        """The From of `tenant`'s mail: its mailbox's support address, else CONVOFLOW_EMAIL_FROM
        (each with its display name, when one is set)."""
        return self._tenant_senders.get(tenant, self.sender)

    async def send(self, message: OutboundMessage) -> None:
        # A customer's address only: a rule's notification may name "Ops <ops@x>" or a list, which
        # the header carries to each (packs published with such addresses kept working).
        if message.kind != "notification" and not is_one_mailbox(message.to):
            # Taken before the API checked it (a conversation older than that check): a relay refuses
            # it on every retry. Said without the address: the worker logs this failure.
            raise ApplicationError(
                "recipient refused: not one email address",
                type="DeliveryRejected",
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,
            )
        if message.kind != "notification" and message.to.lower() in self._ours:
            # A loop ops released into a conversation: its "customer" is our own support address,
            # and each reply would come back as a new mail from ourselves (helper-122). A rule's
            # notification to a support inbox is the pack's choice, sent as before.
            raise ApplicationError(
                "recipient refused: a support address of this deployment (a mail loop)",
                type="DeliveryRejected",
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,
            )
        email = build_email(message, self.sender_for(message.tenant), self.domain)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                start_tls=self._starttls,
                use_tls=self._use_tls,
                timeout=15,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # The codes only: the server's words quote the address, and the worker logs this failure.
            codes = ", ".join(str(refused.code) for refused in exc.recipients) or "no code"
            raise ApplicationError(  # one log line, as a gateway's refusal (http_outcome.py)
                f"recipient refused: SMTP {codes}",
                type="DeliveryRejected",
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,
            ) from None
        except aiosmtplib.SMTPDataError as exc:
            if exc.code < 500:
                raise _unavailable(exc) from None
            # The relay's final word on this mail (too large, content refused): retrying sends it
            # again for an hour to the same answer. The code only: the words may quote the mail.
            raise ApplicationError(
                f"message refused: SMTP {exc.code}",
                type="DeliveryRejected",
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,
            ) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            if exc.code < 500:  # 454: the relay's trouble for now, no password to mend
                raise _unavailable(exc) from None
            # The operator's to mend, and the mail goes out once they have: retried, but said as
            # what it is (it read "SMTP unavailable" as a relay down does, in every log line).
            raise ApplicationError(
                "SMTP login refused: check CONVOFLOW_SMTP_USERNAME and CONVOFLOW_SMTP_PASSWORD",
                type="SmtpLoginRefused",
                category=ApplicationErrorCategory.BENIGN,
            ) from None
        except aiosmtplib.SMTPSenderRefused as exc:
            if exc.code < 500:  # greylisting, a rate limit: the relay's for now, not the From's
                raise _unavailable(exc) from None
            raise ApplicationError(  # the code only: the words quote the address
                f"SMTP sender refused ({exc.code}): check the From address "
                "(CONVOFLOW_EMAIL_FROM, or the tenant mailbox's address)",
                type="SmtpSenderRefused",
                category=ApplicationErrorCategory.BENIGN,
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            # A relay that is down comes back.
            raise _unavailable(exc) from None


def _unavailable(exc: Exception) -> ApplicationError:
    return ApplicationError(  # one log line, as a gateway's outage (http_outcome.py)
        f"SMTP unavailable: {type(exc).__name__}",
        type="SmtpUnavailable",
        category=ApplicationErrorCategory.BENIGN,
    )
