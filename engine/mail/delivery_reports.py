"""A delivery status notification (RFC 3464, multipart/report): which message of ours bounced.

Read from the parts parsing.py walks: the report's status block (action, enhanced status code) and
the returned message's Message-ID, never the diagnostic text (it quotes addresses). A mail server
that writes its bounce as plain text (qmail's "failure notice", Exim's older ones) is read from the
copy of our message's headers it quotes and the first enhanced status code in it: it opened a
conversation of its own, linked to nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message

from engine.mail.bounds import MAX_MESSAGE_ID, clean_line, text_of

BOUNCE_SENDER = ("mailer-daemon@", "postmaster@")
"""A mail server's own addresses: what it writes bounces from."""


@dataclass(frozen=True, kw_only=True)
class DeliveryReport:
    """A DSN (RFC 3464, multipart/report; report-type=delivery-status): which message of ours bounced."""

    original_message_ids: list[str]
    """The bounced message's Message-ID (from the returned headers) and the report's own thread headers."""
    action: str = ""
    """failed, delayed, delivered, relayed or expanded (the first recipient's)."""
    status: str = ""
    """The enhanced status code (5.1.1 = no such mailbox), never the diagnostic text (it quotes addresses)."""


def delivery_report(
    mail: EmailMessage, leaves: list[Message], references: list[str], *, body: str, from_a_mail_server: bool
) -> DeliveryReport | None:
    """The DSN's bounced Message-ID, action and status, when the mail is one (RFC 3464); `leaves`:
    its parts as parsing.py walks them (an attached mail and a status block count as one). A mail
    server's plain-text bounce (`from_a_mail_server`: MAILER-DAEMON, postmaster) is read from its
    `body` when it quotes a Message-ID."""
    if mail.get_content_type() != "multipart/report":
        return _plain_text_report(body, references) if from_a_mail_server else None
    originals: list[str] = []
    action = status = ""
    for part in leaves:
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in _status_blocks(part):
                action = action or block.get("action", "")
                status = status or block.get("status", "")
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            originals.extend(_returned_message_ids(part))
    ours = [clean_line(text_of(r), MAX_MESSAGE_ID) for r in originals]
    return DeliveryReport(
        original_message_ids=[*ours, *reversed(references)][:10],
        action=clean_line(action.lower(), 16),
        status=re.sub(r"[^0-9.]", "", status)[:16],
    )


def _status_blocks(part: Message) -> list[dict[str, str]]:
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    found = []
    for block in blocks:
        if isinstance(block, Message):
            found.append({k.lower(): str(v).split(";")[-1].strip() for k, v in block.items()})
    if not found and isinstance(payload, str):  # some MTAs send it as an unparsed text block
        pairs = (line.split(":", 1) for line in payload.splitlines() if ":" in line)
        found.append({k.strip().lower(): v.split(";")[-1].strip() for k, v in pairs})
    return found


def _returned_message_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        value = payload[0].get("Message-ID")
        return [str(value).strip()] if value else []
    text = payload if isinstance(payload, str) else ""
    return re.findall(r"(?im)^message-id:\s*(<[^>\s]+>)", text)


STATUS_CODE = re.compile(r"\b([45]\.\d{1,3}\.\d{1,3})\b")


def _plain_text_report(body: str, references: list[str]) -> DeliveryReport | None:
    """A bounce written as text: the Message-IDs of the headers it quotes, the first enhanced
    status code (a permanent 5.x.x fails, a 4.x.x is delayed); None when it quotes no Message-ID."""
    quoted = re.findall(r"(?im)^[ >]*message-id:\s*(<[^>\s]+>)", body)
    if not quoted:
        return None
    code = STATUS_CODE.search(body)
    status = code.group(1) if code else ""
    return DeliveryReport(
        original_message_ids=[*(clean_line(q, MAX_MESSAGE_ID) for q in quoted), *reversed(references)][:10],
        action="delayed" if status.startswith("4.") else "failed",
        status=status,
    )
