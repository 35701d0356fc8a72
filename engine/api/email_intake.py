"""Taking one raw email into a tenant: a conversation, a bounce on one, or the quarantine. Never lost.

The one path for inbound mail, whatever brought it: `POST /v1/inbound/email` (a mail gateway) and the
worker's IMAP connectors (engine/service/mailbox.py) both call `MailIntake.take`. It reads the mail
leniently (engine/mail/parsing.py), judges it (engine/mail/verdicts.py), then:

- customer or automatic mail joins the conversation its In-Reply-To/References name (when the sender
  is that conversation's customer, engine/api/email_threading.py) or begins one `email-{hash of
  Message-ID}`; automatic mail is marked `auto_submitted`, which no rule acknowledges;
- a delivery report of one of our replies is `message.bounced` on that conversation, a metric and a
  log line (kinds and codes only: no address, no text);
- everything else is quarantined (engine/db/mail_quarantine.py), once per Message-ID.

The stable Message-ID (the mail's, or one derived from its content) makes every path idempotent: the
database remembers ids already taken (engine/db/inbound_seen.py), the workflow deduplicates them, and
the quarantine is unique per id. So a mailbox re-fetched after a crash, or a gateway's retry, never
makes a second message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from engine.api.conversation_calls import Conversations, conversation_handle, deliver_customer_message
from engine.api.email_threading import Threading, customer_of, thread_in
from engine.api.errors import named
from engine.api.schemas import PostMessage
from engine.contracts.conversation import BounceReport, Channel, EventReceipt
from engine.contracts.ids import derived_id
from engine.db.inbound_seen import InboundSeen
from engine.db.mail_quarantine import MailQuarantine
from engine.db.packs import PackStore
from engine.mail import ParsedMail, Verdict, VerdictKind, judge, parse_mail
from engine.mail.verdicts import QuarantineReason, automatic
from engine.service.metrics import MAIL_BOUNCES, MAIL_IN, MAIL_QUARANTINED
from workflows.conversation.workflow import ConversationWorkflow

log = logging.getLogger("convoflow.mail")
SUMMARY_TEXT = 4_000  # what ops read of a quarantined mail's text before they open the raw mail


@dataclass(frozen=True, kw_only=True)
class Intake:
    """What became of one mail."""

    outcome: str
    """customer, automatic, bounce, duplicate or quarantined."""
    message_id: str
    conversation_id: str | None = None
    receipt: EventReceipt | None = None
    quarantine_id: str | None = None
    reason: str | None = None
    detail: str = ""
    fields: list[dict[str, str]] | None = None

    def body(self) -> dict[str, Any]:
        """The JSON answer of `POST /v1/inbound/email`."""
        if self.outcome == "quarantined":
            out: dict[str, Any] = {
                "quarantined": True,
                "quarantine_id": self.quarantine_id,
                "reason": self.reason,
                "detail": self.detail,
                "message_id": self.message_id,
            }
            if self.fields:
                out["fields"] = self.fields
            return out
        if self.outcome == "duplicate" and self.receipt is None:
            known = {"conversation_id": self.conversation_id} if self.conversation_id else {}
            return {"duplicate": True, "message_id": self.message_id, **known}
        assert self.receipt is not None
        return {
            "conversation_id": self.conversation_id,
            "seq": self.receipt.seq,
            "duplicate": self.receipt.duplicate,
            "created": self.receipt.created,
            "status": self.receipt.status.value,
            "thread": self.receipt.thread,
            "message_id": self.message_id,
            **({"bounce": True} if self.outcome == "bounce" else {}),
        }


class MailIntake:
    def __init__(
        self,
        conversations: Conversations,
        *,
        seen: InboundSeen,
        quarantine: MailQuarantine,
        packs: PackStore,
        own_addresses: dict[str, list[str]] | None = None,
    ) -> None:
        self._conversations = conversations
        self._own = dict(own_addresses or {})  # by tenant: its mailboxes' support addresses
        self._seen = seen
        self.quarantine = quarantine
        self._packs = packs
        self._blocked: dict[str, list[str]] = {}  # pack hash -> blocked senders (packs never change)

    async def take(
        self, tenant: str, raw: bytes, *, source: str, own_addresses: list[str] | None = None
    ) -> Intake:
        """Take `raw` into `tenant`. Raises ApiError (503) only when Temporal or a worker did not answer:
        the mail was then neither delivered nor quarantined, and taking it again is safe."""
        mail = await asyncio.to_thread(parse_mail, raw)
        own = [self._conversations.settings.email_from, *self._own.get(tenant, []), *(own_addresses or [])]
        verdict = judge(mail, own_addresses=own, blocked_senders=await self._blocked_senders(tenant))
        if verdict.kind is VerdictKind.BOUNCE:
            bounced = await self._bounce(tenant, mail, verdict)
            if bounced is not None:
                return bounced
            verdict = Verdict(kind=VerdictKind.AUTOMATIC)  # it named a conversation this tenant does not have
        if verdict.kind is VerdictKind.QUARANTINE:
            return await self.hold(tenant, raw, mail, verdict, source=source)
        if taken := await self._seen.seen(tenant, "email", mail.message_id):
            MAIL_IN.labels(tenant, "duplicate").inc()
            return Intake(
                outcome="duplicate", message_id=mail.message_id, conversation_id=taken.conversation_id
            )
        try:
            message = message_of(mail, automatic=verdict.kind is VerdictKind.AUTOMATIC)
        except ValidationError as exc:  # the parser's bounds make this rare: still never lost
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
            unreadable = Verdict(
                kind=VerdictKind.QUARANTINE, reason=QuarantineReason.UNPARSEABLE, detail=detail
            )
            return await self.hold(tenant, raw, mail, unreadable, source=source)
        threading = await self._thread(tenant, mail, message, own)
        if not threading.joined and (looping := await self._looping(tenant, mail)) is not None:
            return await self.hold(tenant, raw, mail, looping, source=source)
        conversation, receipt = await self._deliver(tenant, mail, message, threading)
        outcome = "duplicate" if receipt.duplicate else verdict.kind.value
        MAIL_IN.labels(tenant, outcome).inc()
        return Intake(
            outcome=outcome,
            message_id=mail.message_id,
            conversation_id=conversation,
            receipt=receipt,
        )

    async def _thread(self, tenant: str, mail: ParsedMail, message: PostMessage, own: list[str]) -> Threading:
        """The conversation the message goes to (our own domains tell our Message-IDs); a requester
        Reply-To named begins a conversation of its own (`ParsedMail.sender_from_reply_to`)."""
        if mail.sender_from_reply_to:
            return Threading(conversation=derived_id("email", message.message_id))
        domains = [a.rsplit("@", 1)[-1] for a in own if "@" in a]
        return await thread_in(
            self._conversations,
            tenant,
            named=mail.references,
            sender=message.sender.address,
            message_id=message.message_id,
            domains=domains,
        )

    async def _deliver(
        self, tenant: str, mail: ParsedMail, message: PostMessage, threading: Threading
    ) -> tuple[str, EventReceipt]:
        """Deliver the message to its conversation and remember its Message-ID; returns the
        conversation and the receipt."""
        receipt = await deliver_customer_message(
            self._conversations, tenant, threading.conversation, message, threading.note
        )
        await self._seen.remember(
            tenant, "email", mail.message_id, threading.conversation, sender=message.sender.address
        )
        return threading.conversation, receipt

    async def _looping(self, tenant: str, mail: ParsedMail) -> Verdict | None:
        """A loop by its rate: more conversations from one sender within the hour than a person begins
        (replies within one count once). No header says so when a vendor's ticket system answers each
        acknowledgement with a new ticket that we acknowledge again; quarantined, the mails wait for
        ops, none is lost."""
        limit = self._conversations.settings.mail_sender_limit_per_hour
        if not limit or mail.sender is None:
            return None
        since = datetime.now(UTC) - timedelta(hours=1)
        begun = await self._seen.conversations_from(tenant, mail.sender, since)
        if begun < limit:
            return None
        detail = (
            f"{begun} conversations from this sender within the hour, the limit "
            "(CONVOFLOW_MAIL_SENDER_LIMIT_PER_HOUR): a mail loop? Release it if it is a customer's"
        )
        return Verdict(kind=VerdictKind.QUARANTINE, reason=QuarantineReason.SENDER_RATE, detail=detail)

    async def hold(
        self, tenant: str, raw: bytes, mail: ParsedMail, verdict: Verdict, *, source: str
    ) -> Intake:
        """Quarantine the mail (once per Message-ID) and say so."""
        if taken := await self._seen.seen(tenant, "email", mail.message_id):
            # Delivered before: ops released it into a conversation. The gateway's retry is a repeat of
            # that message, not a mail still held (it was answered "quarantined", and quarantined
            # anew once ops had deleted the released item or it had expired).
            MAIL_IN.labels(tenant, "duplicate").inc()
            conversation = taken.conversation_id or await self.quarantine.released_to(tenant, mail.message_id)
            return Intake(outcome="duplicate", message_id=mail.message_id, conversation_id=conversation)
        reason = verdict.reason.value if verdict.reason else QuarantineReason.UNPARSEABLE.value
        quarantine_id, new = await self.quarantine.add(
            tenant,
            message_id=mail.message_id,
            reason=reason,
            detail=verdict.detail,
            source=source,
            raw=raw,
            summary=summary_of(mail),
        )
        if new:
            MAIL_QUARANTINED.labels(tenant, reason).inc()
            log.info("mail quarantined: tenant=%s reason=%s source=%s", tenant, reason, source)
        MAIL_IN.labels(tenant, "quarantined").inc()
        fields = named(mail.problem.field, mail.problem.problem) if mail.problem else None
        return Intake(
            outcome="quarantined",
            message_id=mail.message_id,
            quarantine_id=quarantine_id,
            reason=reason,
            detail=verdict.detail,
            fields=fields,
        )

    async def release(
        self, tenant: str, raw: bytes, *, reason: str | None = None, own_addresses: list[str] | None = None
    ) -> Intake:
        """Deliver a quarantined mail as a customer message whatever its verdict (ops decided it is one).

        A mail without a usable sender cannot become a conversation (there is no one to answer): the
        caller refuses it before. Spam, loop and blocked verdicts are overridden; automatic mail, and
        a released loop, stay marked automatic: never acknowledged, so a loop cannot start again.
        """
        mail = await asyncio.to_thread(parse_mail, raw)
        own = [self._conversations.settings.email_from, *self._own.get(tenant, []), *(own_addresses or [])]
        message = message_of(mail, automatic=automatic(mail) or reason == QuarantineReason.LOOP.value)
        threading = await self._thread(tenant, mail, message, own)
        conversation, receipt = await self._deliver(tenant, mail, message, threading)
        return Intake(
            outcome="customer",
            message_id=mail.message_id,
            conversation_id=conversation,
            receipt=receipt,
        )

    async def _bounce(self, tenant: str, mail: ParsedMail, verdict: Verdict) -> Intake | None:
        """Record the DSN on the conversation it names, if this tenant has it; None when it has not."""
        conversation = verdict.bounced_conversation
        assert conversation is not None and mail.report is not None
        if await customer_of(self._conversations, tenant, conversation) is None:
            return None
        bounced = next(iter(mail.report.original_message_ids), "")
        report = BounceReport(
            message_id=mail.message_id,
            bounced_message_id=bounced[:256],
            action=mail.report.action,
            status=mail.report.status,
        )
        handle = conversation_handle(self._conversations.client, tenant, conversation)
        receipt = await self._conversations.call(
            lambda deadline: handle.execute_update(
                ConversationWorkflow.record_bounce, report, rpc_timeout=deadline
            ),
            handle,
        )
        if not receipt.duplicate:
            MAIL_BOUNCES.labels(tenant, report.action or "unknown").inc()
            # Ops are told without personal data: the tenant, the conversation id, the RFC 3463 code.
            log.warning(
                "email bounced: tenant=%s conversation=%s action=%s status=%s",
                tenant,
                conversation,
                report.action or "unknown",
                report.status or "unknown",
            )
        MAIL_IN.labels(tenant, "duplicate" if receipt.duplicate else "bounce").inc()
        return Intake(
            outcome="bounce", message_id=mail.message_id, conversation_id=conversation, receipt=receipt
        )

    async def _blocked_senders(self, tenant: str) -> list[str]:
        digest = await self._conversations.packs.hash_for(tenant)
        if digest not in self._blocked:
            pack = await self._packs.get(digest)
            self._blocked[digest] = list(pack.email.blocked_senders)
        return self._blocked[digest]


AUTOMATIC_HEADERS = (
    "Auto-Submitted",
    "X-Autoreply",
    "X-Autorespond",
    "Precedence",
    "X-Auto-Response-Suppress",
    "X-MS-Exchange-Inbox-Rules-Loop",
)


def message_of(mail: ParsedMail, *, automatic: bool) -> PostMessage:
    """The customer message a mail becomes (the API's own bounds checked)."""
    if mail.sender is None:
        raise ValueError("a mail without a usable sender cannot become a message")
    return PostMessage.model_validate(
        {
            "message_id": mail.message_id,
            "channel": Channel.EMAIL,
            "sender": {"address": mail.sender, "name": mail.sender_name},
            "text": mail.text,
            "quoted": mail.quoted,
            "subject": mail.subject,
            "auto_submitted": automatic,
            "attachments": mail.attachments,
            # What tells an out-of-office from other automatic mail (PostMessage.to_message).
            "headers": {
                name: mail.headers[name.lower()][:100]
                for name in AUTOMATIC_HEADERS
                if name.lower() in mail.headers
            },
        }
    )


def summary_of(mail: ParsedMail) -> dict[str, Any]:
    """What ops read of a quarantined mail (sealed with the raw mail: it is personal data)."""
    return {
        "sender": mail.sender,
        "sender_name": mail.sender_name,
        "subject": mail.subject,
        "text": mail.text[:SUMMARY_TEXT],
        "quoted": mail.quoted[:SUMMARY_TEXT],
        "attachments": mail.attachments,
        "message_id_derived": mail.message_id_derived,
    }


MAIL_INTAKE = web.AppKey("mail_intake", MailIntake)
