"""Building the mail intake (engine/api/email_intake.py) from the settings: one place, for the API
process and for the worker's mailbox connectors alike."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.api.conversation_calls import Conversations
from engine.api.email_intake import MailIntake
from engine.db.inbound_seen import InboundSeen
from engine.db.mail_quarantine import MailQuarantine
from engine.db.packs import PackStore
from engine.service.mailbox_config import MailboxConfigError, mailboxes_of
from engine.service.payload_keys import keyring_of
from engine.service.quarantine_seal import QuarantineSealer


def mail_intake(conversations: Conversations, database: AsyncEngine) -> MailIntake:
    settings = conversations.settings
    sealer = QuarantineSealer(keyring_of(settings))
    quarantine = MailQuarantine(database, sealer, retention=timedelta(days=settings.quarantine_days))
    return MailIntake(
        conversations,
        seen=InboundSeen(database),
        quarantine=quarantine,
        packs=PackStore(database),
        own_addresses=support_addresses(settings.mailboxes),
    )


def support_addresses(mailboxes: str | None) -> dict[str, list[str]]:
    """Each tenant's support addresses of CONVOFLOW_MAILBOXES: mail from one is a loop however it
    comes in. `POST /v1/inbound/email` knew only CONVOFLOW_EMAIL_FROM, so a mail from the tenant's
    own mailbox address began a conversation with ourselves (helper-123). A setting that does not
    read is the worker's to report (it refuses to start); here it names no address."""
    try:
        configs = mailboxes_of(mailboxes)
    except MailboxConfigError:
        return {}
    found: dict[str, list[str]] = {}
    for config in configs:
        if config.support_address:
            found.setdefault(config.tenant, []).append(config.support_address)
    return found
