"""Email over SMTP (aiosmtplib): multipart plain + HTML, threading headers, RFC 3834 marks.

Replies stay in the customer's thread through `In-Reply-To`/`References`; automatic messages carry
`Auto-Submitted: auto-replied` so other robots do not answer them. The Message-ID is derived from the
idempotency key, so a message sent twice by a crash is recognisably the same message.
"""

from __future__ import annotations

import hashlib
import html
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
from temporalio.exceptions import ApplicationError

from activities.outbound import OutboundMessage

AUTOMATIC_KINDS = frozenset({"auto_reply", "survey", "notification"})


def domain_of(sender: str) -> str:
    """The domain our Message-IDs carry: the From address's, so replies to them can be recognised."""
    return sender.rsplit("@", 1)[-1].strip(">") or "convoflow.local"


def message_id_for(message: OutboundMessage, domain: str) -> str:
    """`<{conversation}.{hash of key}@{domain}>`: unique per send; a reply to it names its conversation."""
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]
    return f"<{message.external_conversation_id}.{digest}@{domain}>"


def conversation_of(message_id: str, domain: str) -> str | None:
    """The conversation id inside one of our Message-IDs, or None for anyone else's."""
    local, _, host = message_id.strip().strip("<>").partition("@")
    if host.lower() != domain.lower() or "." not in local:
        return None
    return local.rsplit(".", 1)[0]


def build_email(message: OutboundMessage, sender: str, domain: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    subject = message.subject or "Your request"
    email["Subject"] = (
        subject if subject.lower().startswith("re:") or message.kind == "notification" else (f"Re: {subject}")
    )
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id_for(message, domain)
    if message.in_reply_to:
        email["In-Reply-To"] = message.in_reply_to
        email["References"] = (
            " ".join([*message.references, message.in_reply_to])
            if message.references
            else (message.in_reply_to)
        )
    if message.kind in AUTOMATIC_KINDS:
        email["Auto-Submitted"] = "auto-replied"
        email["X-Auto-Response-Suppress"] = "All"
    email["X-Convoflow-Conversation"] = message.external_conversation_id
    email.set_content(message.text)
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in message.text.split("\n\n"))
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
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._use_tls = starttls, use_tls
        self.domain = domain_of(sender)

    async def send(self, message: OutboundMessage) -> None:
        email = build_email(message, self.sender, self.domain)
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
            raise ApplicationError(
                f"recipient refused: {exc}", type="DeliveryRejected", non_retryable=True
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ApplicationError(
                f"SMTP unavailable: {type(exc).__name__}", type="SmtpUnavailable"
            ) from None
