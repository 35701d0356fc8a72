"""What conversations leave behind outside Temporal: the delivery ledger and the outbox, inbound
ids seen, the local CRM's contacts and writes, quarantined mail, and where each mailbox began."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from engine.db.schema._base import TENANT, WHEN, metadata

delivery_ledger = Table(
    "delivery_ledger",
    metadata,
    Column("idempotency_key", String(512), primary_key=True),
    Column("tenant", TENANT, nullable=False, index=True),
    Column("adapter", String(32), nullable=False),
    Column("delivered_at", WHEN, nullable=False, comment="When claimed, then when delivered."),
    Column(
        "state",
        String(16),
        nullable=False,
        server_default="delivered",
        comment="claimed (a send in flight) or delivered.",
    ),
)

inbound_seen = Table(
    "inbound_seen",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("kind", String(16), nullable=False, comment="webhook or email"),
    Column("external_id", String(512), nullable=False),
    Column("seen_at", WHEN, nullable=False, index=True),
    Column(
        "conversation_id",
        String(256),
        nullable=True,
        comment="The conversation the message was delivered to.",
    ),
    Column(
        "sender_key",
        String(64),
        nullable=True,
        comment="A digest of the tenant and the sender's address (mail only).",
    ),
    PrimaryKeyConstraint("tenant", "kind", "external_id"),
    Index("ix_inbound_seen_tenant_sender", "tenant", "sender_key", "seen_at"),
)

crm_contacts = Table(
    "crm_contacts",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("email", String(320), nullable=True),
    Column("phone", String(64), nullable=True),
    Column("name", String(200), nullable=True),
    Column("language", String(16), nullable=True),
    Column("tier", String(64), nullable=True),
    Column("fields", JSON, nullable=False, comment="Every other field the CRM holds for the contact."),
    Column("updated_at", WHEN, nullable=False),
    PrimaryKeyConstraint("tenant", "customer_id"),
    Index("ix_crm_contacts_email", "tenant", "email"),
    Index("ix_crm_contacts_phone", "tenant", "phone"),
)

crm_writes = Table(
    "crm_writes",
    metadata,
    Column("idempotency_key", String(512), primary_key=True),
    Column("tenant", TENANT, nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("field", String(128), nullable=True),
    Column("value", JSON, nullable=True),
    Column("note", Text, nullable=True),
    Column("written_at", WHEN, nullable=False),
    Index("ix_crm_writes_customer", "tenant", "customer_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(512), nullable=False),
    Column("tenant", TENANT, nullable=False),
    Column("conversation_id", String(256), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", JSON, nullable=False, comment="The outbound message as delivered."),
    Column("delivered_at", WHEN, nullable=False),
    UniqueConstraint("idempotency_key"),
    Index("ix_outbox_tenant_conversation", "tenant", "conversation_id"),
)

mail_quarantine = Table(
    "mail_quarantine",
    metadata,
    Column("quarantine_id", String(32), primary_key=True, comment="Public id: q_<hex>."),
    Column("tenant", TENANT, nullable=False),
    Column("message_id", String(256), nullable=False, comment="The mail's (or its derived) Message-ID."),
    Column(
        "reason", String(32), nullable=False, comment="no_sender, loop, blocked_sender, spam, unparseable."
    ),
    Column("detail", String(500), nullable=False, comment="Why, in the service's words (no mail content)."),
    Column("source", String(160), nullable=False, comment="api, or imap:<mailbox name>."),
    Column("size", Integer, nullable=False, comment="Bytes of the raw mail."),
    Column(
        "sealed",
        LargeBinary,
        nullable=False,
        comment="The raw mail and its summary (sender, subject), AES-GCM under the tenant's payload key.",
    ),
    Column("key_id", String(32), nullable=True, comment="The payload key it is sealed under; null: clear."),
    Column("received_at", WHEN, nullable=False),
    Column("expires_at", WHEN, nullable=False, comment="Deleted after (retention, personal data)."),
    Column("released_at", WHEN, nullable=True),
    Column("released_by", String(128), nullable=True),
    Column("conversation_id", String(256), nullable=True, comment="Where a release delivered it."),
    UniqueConstraint("tenant", "message_id", name="uq_mail_quarantine_tenant_message"),
    Index("ix_mail_quarantine_tenant_received", "tenant", "received_at", "quarantine_id"),
    Index("ix_mail_quarantine_expires", "expires_at"),
)

mailbox_marks = Table(
    "mailbox_marks",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("mailbox", String(64), nullable=False, comment="The mailbox's name in CONVOFLOW_MAILBOXES."),
    Column("uid_validity", BigInteger, nullable=False, comment="The folder's UIDVALIDITY then."),
    Column(
        "first_uid",
        BigInteger,
        nullable=False,
        comment="The folder's UIDNEXT when first connected: mail below it was there before us.",
    ),
    Column("marked_at", WHEN, nullable=False),
    PrimaryKeyConstraint("tenant", "mailbox", name="pk_mailbox_marks"),
)
