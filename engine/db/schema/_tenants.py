"""Tenants and who may act for them: settings and their history, webhook secrets, API keys,
console sessions, stored idempotent answers, and the roster of agents."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
)

from engine.db.schema._base import TENANT, WHEN, metadata

tenants = Table(
    "tenants",
    metadata,
    Column("tenant", TENANT, primary_key=True),
    Column("name", String(200), nullable=True),
    Column("created_at", WHEN, nullable=False),
    Column("limits", JSON, nullable=True, comment="The tenant's own rate limits."),
    Column(
        "require_approval",
        Boolean,
        nullable=False,
        server_default=false(),
        comment="Four-eyes: a publish or promotion waits for a second ops or admin key's approval.",
    ),
)

tenant_setting_changes = Table(
    "tenant_setting_changes",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("setting", String(64), nullable=False, comment="The column of `tenants` changed."),
    Column("value", JSON, nullable=True, comment="Its new value."),
    Column("changed_by", String(128), nullable=True, comment="`api:<tenant>/<key>` or `cli:<user>`."),
    Column("changed_at", WHEN, nullable=False),
    PrimaryKeyConstraint("tenant", "changed_at", "setting"),
)

webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("secret_id", String(32), primary_key=True, comment="Public id of the secret."),
    Column("tenant", TENANT, ForeignKey("tenants.tenant"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("secret", Text, nullable=False, comment="The HMAC key (whsec_...)."),
    Column("created_at", WHEN, nullable=False),
    Column(
        "retires_at",
        WHEN,
        nullable=True,
        comment="When a rotated-out secret stops verifying; null while it is the newest.",
    ),
    Index("ix_webhook_secrets_tenant_channel", "tenant", "channel"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True, comment="Public id of the key, for listing and revoking."),
    Column("tenant", TENANT, ForeignKey("tenants.tenant"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True, comment="SHA-256 hex of the secret key."),
    Column("role", String(32), nullable=False),
    Column("created_at", WHEN, nullable=False),
    Column("revoked_at", WHEN, nullable=True),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True, comment="SHA-256 hex of the session cookie."),
    Column("tenant", TENANT, nullable=False),
    Column("role", String(32), nullable=False),
    Column(
        "key_id",
        String(32),
        nullable=False,
        comment="The API key signed in with (`settings`: a settings key).",
    ),
    Column("key_hash", String(64), nullable=False, comment="Its SHA-256: a revoked key ends its sessions."),
    Column(
        "csrf_token", String(64), nullable=False, comment="What every form that changes something carries."
    ),
    Column("created_at", WHEN, nullable=False),
    Column("expires_at", WHEN, nullable=False),
    Index("ix_console_sessions_expires_at", "expires_at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("key_scope", String(64), nullable=False, comment="SHA-256 hex of the API key the POST came with."),
    Column("key_hash", String(64), nullable=False, comment="SHA-256 hex of the Idempotency-Key."),
    Column("fingerprint", String(64), nullable=False, comment="SHA-256 hex of the method, path and body."),
    Column("status", Integer, nullable=True, comment="The stored answer's status; null while it runs."),
    Column("headers", JSON, nullable=True, comment="The stored answer's headers worth repeating."),
    Column("body", LargeBinary, nullable=True, comment="The stored answer's body (secrets left out)."),
    Column("claimed_at", WHEN, nullable=False, comment="When the running request took the key."),
    Column("expires_at", WHEN, nullable=False),
    PrimaryKeyConstraint("tenant", "key_scope", "key_hash"),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)

agents = Table(
    "agents",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("agent_id", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("teams", JSON, nullable=False, comment="Team names of the tenant's active pack."),
    Column("skills", JSON, nullable=False, comment="Skills the teams of the pack declare (`lang:de`)."),
    Column("channels", JSON, nullable=False, comment="Channels the agent takes; empty: every channel."),
    Column("capacity", JSON, nullable=False, comment="Open conversations at once, by channel (`*`: all)."),
    Column("presence", String(16), nullable=False, comment="online, away or offline."),
    Column(
        "presence_reason",
        String(32),
        nullable=False,
        comment="`set` (through the API or CLI) or `heartbeat timeout` (the client went silent).",
    ),
    Column("presence_changed_at", WHEN, nullable=False),
    Column("last_heartbeat_at", WHEN, nullable=True),
    Column("created_at", WHEN, nullable=False),
    Column("updated_at", WHEN, nullable=False),
    PrimaryKeyConstraint("tenant", "agent_id"),
)

payload_key_fingerprints = Table(
    "payload_key_fingerprints",
    metadata,
    Column("key_id", String(32), primary_key=True, comment="A payload key id of CONVOFLOW_PAYLOAD_KEYS."),
    Column(
        "fingerprint",
        String(64),
        nullable=False,
        comment="HKDF of the key (not the key): a part with other key material under this id is refused.",
    ),
    Column("first_seen_at", WHEN, nullable=False),
)

audit_key_fingerprint = Table(
    "audit_key_fingerprint",
    metadata,
    Column(
        "sealing",
        String(32),
        primary_key=True,
        comment="What the key seals (`audit bundles`): one row, so two parts starting at once agree.",
    ),
    Column(
        "fingerprint",
        String(64),
        nullable=False,
        comment="The key fingerprint bundles name in their manifest (not the key).",
    ),
    Column("first_seen_at", WHEN, nullable=False),
)
