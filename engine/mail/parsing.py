"""Read a raw RFC 822 message the way a helpdesk must: leniently, and never by raising.

Real mail is messy (issue 20: 34 of 48 corpus messages were refused before): no Message-ID (RFC 5322
says SHOULD), encoded or undecodable headers, charsets Python does not know, HTML-only bodies,
Outlook's winmail.dat (TNEF), multiparts nested inside multiparts. Each is read with a fallback;
what still cannot be read becomes a `MailProblem` naming the header or part, and the caller
quarantines the message (engine/mail/verdicts.py) instead of losing it.

A mail is hostile input too: every bound is checked before the standard library parses what it
bounds (a long structured header costs it quadratic time, deep nesting a RecursionError, many MIME
parameters quadratic time); see engine/mail/bounds.py.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import Any

from engine.contracts.conversation import NOBODY_READS_LOCAL
from engine.contracts.message_ids import DERIVED_DOMAIN
from engine.mail.addresses import is_one_mailbox
from engine.mail.bounds import (
    MAX_MESSAGE_ID,
    MailProblem,
    check_bounds,
    clean_line,
    text_of,
    trimmed,
)
from engine.mail.delivery_reports import BOUNCE_SENDER, DeliveryReport, delivery_report
from engine.mail.html_text import html_to_text
from engine.mail.replies import split_reply

MAX_TEXT = 100_000
MAX_ATTACHMENTS = 50
# Headers the verdicts read, lower-cased.
VERDICT_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-ms-exchange-inbox-rules-loop",
    "x-spam-flag",
    "x-spam-status",
    "x-loop",
    "list-id",
)
READ_HEADERS = frozenset(
    {
        "from",
        "sender",
        "reply-to",
        "subject",
        "message-id",
        "in-reply-to",
        "references",
        "date",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        *VERDICT_HEADERS,
    }
)
"""Headers this reader needs whole: one over its bound leaves the mail unreadable (bounds.trimmed).
To and Cc are read for the recipients, but a long one (a mail to 250 colleagues) is dropped: the
mail is still the customer's, and a reader keeps 50 recipients anyway."""
# Parts the parser splits into sub-messages that are still one part to us: an attached mail, a DSN's status.
WHOLE_PARTS = {"message/rfc822", "message/delivery-status"}
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}


@dataclass(frozen=True, kw_only=True)
class ParsedMail:
    """What a conversation (or the quarantine) needs from one raw message."""

    message_id: str
    message_id_derived: bool = False
    sender: str | None = None
    """The From address (addr-spec), or None when there is no usable one."""
    sender_name: str | None = None
    sender_from_reply_to: bool = False
    """The requester was named by Reply-To, which anyone writes: such a mail never joins an existing
    conversation (a mail from the attacker's own `noreply@` naming a victim in Reply-To would have
    posted into the victim's conversation)."""
    recipients: list[str] = field(default_factory=list)
    subject: str | None = None
    text: str = ""
    """The customer's new text: quoted history and signature removed (engine/mail/replies.py)."""
    quoted: str = ""
    """The quoted history and signature the new text was separated from."""
    html_only: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    """In-Reply-To and References, oldest first."""
    headers: dict[str, str] = field(default_factory=dict)
    """The few headers the verdicts read (VERDICT_HEADERS), lower-cased names."""
    report: DeliveryReport | None = None
    problem: MailProblem | None = None


def _unread(raw: bytes, problem: MailProblem) -> ParsedMail:
    """A mail read no further than its problem: its id made from its bytes, and said to be so."""
    return ParsedMail(message_id=derived_message_id(raw=raw), message_id_derived=True, problem=problem)


def parse_mail(raw: bytes) -> ParsedMail:
    """The message as far as it can be read; `problem` says what could not be (never raises)."""
    raw = trimmed(raw, READ_HEADERS)
    if problem := check_bounds(raw):
        return _unread(raw, problem)
    try:
        mail = BytesParser(policy=policy.default).parsebytes(raw)
        parts = list(mail.walk())
    except RecursionError:
        problem = MailProblem(field="body", problem="MIME parts or header comments nested too deep")
        return _unread(raw, problem)
    except Exception:  # the stdlib parser fails in many ways on hostile input
        problem = MailProblem(field="body", problem="the MIME structure cannot be read")
        return _unread(raw, problem)
    bad = [name for part in parts for name in part.keys() if _header(part, name) is _UNREADABLE]
    if bad:
        label = clean_line(bad[0], 64) or "header"
        problem = MailProblem(field=label, problem=f"the email's {label} header cannot be parsed")
        return _unread(raw, problem)
    return _read(mail)


def _read(mail: EmailMessage) -> ParsedMail:
    sender, name, replied_to = _sender(mail)
    subject = clean_line(text_of(str(_header(mail, "Subject") or "")), 1000) or None
    body, html_only, attachments = _contents(mail)
    new, quoted = split_reply(body)
    given = clean_line(text_of(str(_header(mail, "Message-ID") or "")), 10_000)
    if given and len(given) <= MAX_MESSAGE_ID:
        message_id, derived = given, False
    elif given:  # too long to keep as is: still stable for the same mail
        message_id, derived = derived_message_id(seed=given), True
    else:
        message_id, derived = _content_id(mail, body), True
    references = [
        *str(_header(mail, "References") or "").split(),
        *str(_header(mail, "In-Reply-To") or "").split(),
    ]
    headers = {
        h: clean_line(text_of(str(_header(mail, h))), 1000)
        for h in VERDICT_HEADERS
        if mail.get(h) is not None
    }
    headers["content-type"] = mail.get_content_type()
    return ParsedMail(
        message_id=message_id,
        message_id_derived=derived,
        sender=sender,
        sender_name=name,
        sender_from_reply_to=replied_to,
        recipients=_recipients(mail),
        subject=subject,
        text=new[:MAX_TEXT],
        quoted=quoted[:MAX_TEXT],
        html_only=html_only,
        attachments=attachments[:MAX_ATTACHMENTS],
        references=[clean_line(text_of(r), MAX_MESSAGE_ID) for r in references][-50:],
        headers=headers,
        report=delivery_report(
            mail,
            _leaves(mail),
            references,
            body=body,
            from_a_mail_server=(sender or "").lower().startswith(BOUNCE_SENDER),
        ),
    )


def derived_message_id(*, raw: bytes | None = None, seed: str | None = None) -> str:
    """A Message-ID made from content: the same bytes (or seed) always give the same id."""
    digest = hashlib.sha256(raw if raw is not None else (seed or "").encode("utf-8", "surrogateescape"))
    return f"<{digest.hexdigest()[:40]}@{DERIVED_DOMAIN}>"


def _content_id(mail: EmailMessage, body: str) -> str:
    """The stable id of a mail without Message-ID: SHA-256 of its normalised Date, From, To, Subject and text.

    Normalised (whitespace collapsed, addresses lower-cased, line endings unified) so that a
    re-delivery through another server, which may refold headers or rewrite CRLF, is the same mail.
    """

    def norm(value: Any) -> str:
        return " ".join(text_of(str(value or "")).split())

    seed = "\n".join(
        [
            norm(_header(mail, "Date")),
            norm(_header(mail, "From")).lower(),
            norm(_header(mail, "To")).lower(),
            norm(_header(mail, "Subject")),
            " ".join(body.split()),
        ]
    )
    return derived_message_id(seed=seed)


# A contact form or shop mails from an address nobody reads, the customer's in Reply-To: the requester
# was the form (tagged automated, never acknowledged) and agents' replies went to it.
NOBODY_READS = re.compile(rf"^({NOBODY_READS_LOCAL})[@+.\-]", re.IGNORECASE)


def _sender(mail: EmailMessage) -> tuple[str | None, str | None, bool]:
    """The requester: From's address and display name, or Reply-To's when From is an address nobody
    reads; falls back to a plain parse, then Sender / Reply-To. Last, whether Reply-To named it."""
    found = _first_mailbox(mail, ("From", "Sender", "Reply-To"))
    if found[0] is not None and NOBODY_READS.match(found[0]):
        answered = _first_mailbox(mail, ("Reply-To",))
        if answered[0] is not None and answered[0].lower() != found[0].lower():
            return answered
    return found


def _first_mailbox(mail: EmailMessage, headers: tuple[str, ...]) -> tuple[str | None, str | None, bool]:
    """The first of `headers` that names one usable mailbox: its address, display name, and whether
    that header was Reply-To."""
    for name in headers:
        value = _header(mail, name)
        if value is None:
            continue
        addresses = getattr(value, "addresses", None) or ()
        if addresses:
            address, display = text_of(addresses[0].addr_spec), text_of(addresses[0].display_name)
        else:  # the structured parse found nothing: the stdlib's older, more forgiving parser
            display, address = parseaddr(text_of(str(value)))
        address = clean_line(address, 320)
        local = address.rpartition("@")[0]
        if local.startswith('"') and local not in _raw_header(mail, name):
            continue  # a quoted name the parser made of words around an address ("John Smith john"@x)
        if is_one_mailbox(address) and len(address) <= 320:
            return address, clean_line(display, 200) or None, name == "Reply-To"
    return None, None, False


def _raw_header(mail: EmailMessage, name: str) -> str:
    """The header's value as the mail has it, before the parser normalised it."""
    return next((str(v) for k, v in mail.raw_items() if k.lower() == name.lower()), "")


def _recipients(mail: EmailMessage) -> list[str]:
    values = [text_of(str(v)) for h in ("To", "Cc", "Delivered-To") for v in (mail.get_all(h) or [])]
    return [a.lower() for _, a in getaddresses(values) if "@" in a][:50]


def _contents(mail: EmailMessage) -> tuple[str, bool, list[dict[str, Any]]]:
    """The body text (plain preferred, else HTML as text, else a TNEF body) and every attachment."""
    body_part = None
    try:
        body_part = mail.get_body(preferencelist=("plain", "html"))
    except Exception:  # a malformed multipart: read what the walk finds
        body_part = None
    text, html_only = "", False
    if body_part is not None:
        text = _decoded(body_part)
        if body_part.get_content_type() == "text/html":
            text, html_only = html_to_text(text), True
    attachments: list[dict[str, Any]] = []
    for part in _leaves(mail):
        if part is body_part:
            continue
        kind = part.get_content_type()
        if kind in TNEF_TYPES or (part.get_filename() or "").lower() == "winmail.dat":
            tnef_text, tnef_attachments = _tnef(part)
            text = text or tnef_text
            attachments.extend(tnef_attachments)
            continue
        if kind.startswith("text/") and not _is_attachment(part) and not text:
            text = _decoded(part) if kind == "text/plain" else html_to_text(_decoded(part))
            continue
        if kind in ("message/delivery-status", "text/rfc822-headers") or (
            not _is_attachment(part) and kind.startswith("text/")
        ):
            continue
        attachments.append(_attachment(part))
    return text.replace("\x00", ""), html_only, attachments


def _leaves(mail: Message) -> list[Message]:
    """Every non-multipart part; an attached mail and a DSN's status block (WHOLE_PARTS) count as one."""
    found: list[Message] = []

    def visit(part: Message, depth: int) -> None:
        if part.is_multipart() and part.get_content_type() not in WHOLE_PARTS and depth < 20:
            for child in part.get_payload():
                if isinstance(child, Message):
                    visit(child, depth + 1)
        else:
            found.append(part)

    visit(mail, 0)
    return found


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or part.get_filename() is not None


def _attachment(part: Message) -> dict[str, Any]:
    kind = part.get_content_type()
    if kind == "message/rfc822":
        inner = part.get_payload()
        inner_msg = inner[0] if isinstance(inner, list) and inner else None
        size = len(inner_msg.as_bytes()) if isinstance(inner_msg, Message) else 0
        subject = str(inner_msg.get("Subject", "")) if isinstance(inner_msg, Message) else ""
        name = clean_line(text_of(part.get_filename() or subject or "forwarded message"), 255)
        return {"name": name or "forwarded message", "content_type": kind, "size": size}
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # bad transfer encoding: size unknown, name and type still kept
        payload = b""
    name = clean_line(text_of(part.get_filename() or ""), 255)
    return {
        "name": name or "attachment",
        "content_type": clean_line(kind, 255),
        "size": len(payload) if isinstance(payload, bytes) else 0,
    }


def _tnef(part: Message) -> tuple[str, list[dict[str, Any]]]:
    """Outlook's winmail.dat: its body text and the attachments it wraps (tnefparse)."""
    from tnefparse import TNEF  # imported here: only Outlook mail pays for it

    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return "", []
    try:
        tnef = TNEF(data)
    except Exception:  # a damaged winmail.dat stays an opaque attachment
        return "", [{"name": "winmail.dat", "content_type": "application/ms-tnef", "size": len(data)}]
    text = ""
    if isinstance(tnef.body, bytes | str) and tnef.body:
        text = tnef.body if isinstance(tnef.body, str) else tnef.body.decode("cp1252", "replace")
    elif getattr(tnef, "htmlbody", None):
        html = tnef.htmlbody
        text = html_to_text(html if isinstance(html, str) else html.decode("cp1252", "replace"))
    attachments = []
    for item in tnef.attachments:
        name = item.long_filename() or item.name or "attachment"
        name = name if isinstance(name, str) else name.decode("cp1252", "replace")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachments.append(
            {
                "name": clean_line(name, 255) or "attachment",
                "content_type": kind,
                "size": len(item.data or b""),
            }
        )
    return text, attachments


def _decoded(part: Message) -> str:
    """A text part as str: its declared charset, else UTF-8, else Windows-1252, else Latin-1.

    Strict decoding first, so a Latin-1 body sent without a charset (8-bit bytes under the default
    us-ascii) reads as "café", not "caf\ufffd"; Latin-1 last because it decodes any byte.
    """
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: what the policy's reader makes of it
        payload = None
    if not isinstance(payload, bytes):
        try:
            content = part.get_content()  # type: ignore[attr-defined]
        except Exception:
            return ""
        return text_of(content) if isinstance(content, str) else ""
    for charset in (part.get_content_charset() or "", "utf-8", "cp1252"):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


_UNREADABLE = object()


def _header(part: Message, name: str) -> Any:
    """The parsed header; `_UNREADABLE` when the stdlib's header parser cannot take it."""
    try:
        return part.get(name)
    except Exception:  # the header parser fails in many ways on hostile input
        return _UNREADABLE
