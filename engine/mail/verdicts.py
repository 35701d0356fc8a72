"""What happens to a parsed mail: a customer message, an automatic one, a bounce of ours, or quarantine.

Decisions (issue 20, where it was silent):

- **Auto-replies are recorded, never answered.** `Auto-Submitted` other than `no`, `X-Autoreply`,
  `X-Autorespond`, `Precedence: bulk|junk|list|auto_reply` join (or begin) a conversation marked
  `auto_submitted`, so the out-of-office reply is on record for the agent, and no rule acknowledges it
  (the workflow's automated-sender guard, RFC 3834). Quarantining them would hide real information
  ("I am away until Monday") from the agent.
- **Mail from ourselves is a loop and is quarantined**: the From is one of the tenant's own support
  addresses, an `X-Loop` header names one, or its Message-ID is one we generated. A conversation with
  ourselves would answer itself; ops can still release it if it was, say, a colleague's test.
- **A delivery report (DSN) of one of our replies is a bounce** recorded on the conversation whose
  Message-ID it returns (`message.bounced`); a DSN naming none of ours is an automatic message.
- **Quarantine** otherwise for: no usable sender, a sender the pack blocks (`email.blocked_senders`),
  a spam verdict from the mail server (`X-Spam-Flag: YES`, `X-Spam-Status: Yes...`), and mail that
  cannot be read at all (`MailProblem`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from engine.contracts.message_ids import conversation_of, domain_of
from engine.mail.delivery_reports import BOUNCE_SENDER
from engine.mail.parsing import ParsedMail

AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


class VerdictKind(StrEnum):
    """What the intake does with a mail."""

    CUSTOMER = "customer"
    AUTOMATIC = "automatic"
    BOUNCE = "bounce"
    QUARANTINE = "quarantine"


class QuarantineReason(StrEnum):
    """Why a mail sits in quarantine (the API and CLI show these words)."""

    NO_SENDER = "no_sender"
    LOOP = "loop"
    BLOCKED_SENDER = "blocked_sender"
    SPAM = "spam"
    UNPARSEABLE = "unparseable"
    SENDER_RATE = "sender_rate"
    """More new conversations from one sender within the hour than a person begins (a mail loop no
    header marks); released, it is a customer's message like any other (a loop's stays automatic)."""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    kind: VerdictKind
    reason: QuarantineReason | None = None
    detail: str = ""
    """Why, in the service's own words (never the mail's text or addresses)."""
    bounced_conversation: str | None = None
    """BOUNCE: the conversation whose reply bounced (a claim: the caller checks it exists in the tenant)."""


def judge(mail: ParsedMail, *, own_addresses: list[str], blocked_senders: list[str]) -> Verdict:
    """The verdict on `mail` for a tenant whose support addresses are `own_addresses`."""
    if mail.problem is not None:
        detail = f"{mail.problem.field}: {mail.problem.problem}"
        return Verdict(kind=VerdictKind.QUARANTINE, reason=QuarantineReason.UNPARSEABLE, detail=detail)
    if spam := spam_verdict(mail):
        return Verdict(kind=VerdictKind.QUARANTINE, reason=QuarantineReason.SPAM, detail=spam)
    own = [a.lower() for a in own_addresses if a]
    domains = {domain_of(a) for a in own}
    if mail.report is not None:
        for original in mail.report.original_message_ids:
            for domain in domains:
                if (conversation := conversation_of(original, domain)) is not None:
                    return Verdict(
                        kind=VerdictKind.BOUNCE,
                        detail=f"delivery report ({mail.report.action or 'unknown'} {mail.report.status})",
                        bounced_conversation=conversation,
                    )
    if loop := loop_verdict(mail, own, domains):
        return Verdict(kind=VerdictKind.QUARANTINE, reason=QuarantineReason.LOOP, detail=loop)
    if mail.sender is None:
        return Verdict(
            kind=VerdictKind.QUARANTINE, reason=QuarantineReason.NO_SENDER, detail="no usable From address"
        )
    if pattern := blocked_by(mail.sender, blocked_senders):
        return Verdict(
            kind=VerdictKind.QUARANTINE,
            reason=QuarantineReason.BLOCKED_SENDER,
            detail=f"the pack's email.blocked_senders pattern {pattern!r}",
        )
    if automatic(mail):
        return Verdict(kind=VerdictKind.AUTOMATIC, detail="auto-submitted, bulk or a delivery report")
    return Verdict(kind=VerdictKind.CUSTOMER)


def spam_verdict(mail: ParsedMail) -> str:
    """The mail server's spam verdict header, when it says spam (SpamAssassin's, and rspamd's compatible)."""
    if mail.headers.get("x-spam-flag", "").strip().lower() == "yes":
        return "X-Spam-Flag: YES"
    if mail.headers.get("x-spam-status", "").strip().lower().startswith("yes"):
        return "X-Spam-Status: Yes"
    return ""


def loop_verdict(mail: ParsedMail, own: list[str], domains: set[str]) -> str:
    if mail.sender is not None and mail.sender.lower() in own:
        return "sent from the tenant's own support address"
    loop_header = mail.headers.get("x-loop", "").lower()
    if loop_header and any(address in loop_header for address in own):
        return "X-Loop names the tenant's own support address"
    if not mail.message_id_derived and is_ours(mail.message_id, domains):
        return "its Message-ID is one the service generated"
    return ""


OUR_DIGEST = re.compile(r"^[0-9a-f]{24}$")


def is_ours(message_id: str, domains: set[str]) -> bool:
    """A Message-ID in the exact shape we generate (`<conversation.24 hex@our domain>`,
    engine/contracts/message_ids.py): a colleague's client writing ids on the same domain is not us."""
    local = message_id.strip().strip("<>").partition("@")[0]
    digest = local.rsplit(".", 1)[-1]
    return bool(OUR_DIGEST.match(digest)) and any(conversation_of(message_id, d) for d in domains)


def auto_reply_of(headers: Mapping[str, str]) -> bool | None:
    """What a message's headers (names lower-cased) say: True for an automatic reply to ours (an
    out-of-office: `Auto-Submitted: auto-replied`, `X-Autoreply`, `X-Autorespond`, `Precedence:
    auto_reply`), False for other automatic mail (auto-forwarded, a list's, bulk), which a person may
    have written, None when they say nothing automatic (RFC 3834)."""
    auto = headers.get("auto-submitted", "no").strip().lower()
    precedence = headers.get("precedence", "").strip().lower()
    if auto == "auto-replied" or headers.get("x-autoreply") or headers.get("x-autorespond"):
        return True
    if precedence == "auto_reply":
        return True
    # Exchange's out-of-office sends no Auto-Submitted: what tells it (as Zammad reads it) is its own
    # loop header beside `X-Auto-Response-Suppress: All`; either alone comes on a person's mail too.
    suppress = headers.get("x-auto-response-suppress", "").lower()
    if "all" in suppress.split(",") or "all" in suppress.split():
        if headers.get("x-ms-exchange-inbox-rules-loop"):
            return True
    if auto not in ("", "no") or precedence in AUTO_PRECEDENCE:
        return False
    return None


def automatic(mail: ParsedMail) -> bool:
    """Auto-replies and bounces (RFC 3834 Auto-Submitted, Precedence, delivery reports, daemons)."""
    h = mail.headers
    if auto_reply_of(h) is not None:
        return True
    if mail.report is not None or h.get("content-type") == "multipart/report":
        return True
    return (mail.sender or "").lower().startswith(BOUNCE_SENDER)


def blocked_by(sender: str, patterns: list[str]) -> str | None:
    """The first pattern (case-insensitive glob: `*@spam.example`, `offers-*@shop.example`) matching."""
    address = sender.lower()
    for pattern in patterns:
        if fnmatchcase(address, pattern.lower()):
            return pattern
    return None
