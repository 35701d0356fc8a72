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
from engine.service.payload_keys import keyring_of
from engine.service.quarantine_seal import QuarantineSealer


def mail_intake(conversations: Conversations, database: AsyncEngine) -> MailIntake:
    settings = conversations.settings
    sealer = QuarantineSealer(keyring_of(settings))
    quarantine = MailQuarantine(database, sealer, retention=timedelta(days=settings.quarantine_days))
    return MailIntake(
        conversations, seen=InboundSeen(database), quarantine=quarantine, packs=PackStore(database)
    )
