"""The tables of the control-plane database, as SQLAlchemy Core (the migrations create exactly these).

Every row that belongs to a tenant carries its `tenant`, and every store query filters on it.
Uniqueness that matters for correctness (one delivery per idempotency key, one sighting of an
inbound id) is a constraint, so two processes racing cannot both win: the database decides.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
    }
)
TENANT = String(64)
WHEN = DateTime(timezone=True)

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

rule_packs = Table(
    "rule_packs",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("pack_hash", String(64), nullable=False, comment="SHA-256 of the canonical content."),
    Column("content", Text, nullable=False, comment="The canonical pack JSON the hash covers."),
    Column("name", String(64), nullable=False),
    Column("version", String(32), nullable=False),
    Column("published_by", String(128), nullable=True),
    Column("published_at", WHEN, nullable=False),
    Column("source", Text, nullable=True, comment="Where it was published from (path, API request)."),
    PrimaryKeyConstraint("tenant", "pack_hash"),
    Index("ix_rule_packs_pack_hash", "pack_hash"),
)

intent_models = Table(
    "intent_models",
    metadata,
    Column("pack_hash", String(64), primary_key=True, comment="The pack version whose intents trained it."),
    Column("model_hash", String(64), nullable=False, comment="SHA-256 of `model`: named in decision trails."),
    Column("model", Text, nullable=False, comment="The classifier's weights as plain JSON (never pickled)."),
    Column("trained_at", WHEN, nullable=False),
)

active_packs = Table(
    "active_packs",
    metadata,
    Column("tenant", TENANT, primary_key=True),
    Column("pack_hash", String(64), nullable=False),
    Column("activated_at", WHEN, nullable=False),
)

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
    PrimaryKeyConstraint("tenant", "kind", "external_id"),
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

kpi_facts = Table(
    "kpi_facts",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("conversation_id", String(200), nullable=False),
    Column(
        "life_id", String(64), nullable=False, comment="The conversation's first run id ('' before threads)."
    ),
    Column("seq", Integer, nullable=False, comment="The event's sequence number in the conversation."),
    Column("part", Integer, nullable=False, comment="The fact's number among its event's facts."),
    Column("thread", Integer, nullable=False),
    Column("kind", String(32), nullable=False, comment="docs/kpis.md: created, customer_message, ..."),
    Column("at", WHEN, nullable=False),
    Column("data", JSON, nullable=False, comment="Channel, team, assignee, priority, status, SLA, rating."),
    PrimaryKeyConstraint("tenant", "conversation_id", "life_id", "seq", "part"),
    Index("ix_kpi_facts_tenant_at", "tenant", "at"),
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

pack_activations = Table(
    "pack_activations",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("pack_hash", String(64), nullable=False),
    Column("activated_at", WHEN, nullable=False),
    Column("activated_by", String(128), nullable=True, comment="`api:<tenant>/<key>` or `cli:<user>`."),
    Column("via", String(16), nullable=False, comment="publish or promote (a shadow pack made active)."),
    Column(
        "proposal_id",
        String(32),
        nullable=True,
        comment="The approved proposal this activation carried out (four-eyes); null without one.",
    ),
    PrimaryKeyConstraint("tenant", "activated_at", "pack_hash"),
)

shadow_packs = Table(
    "shadow_packs",
    metadata,
    Column("tenant", TENANT, primary_key=True),
    Column("pack_hash", String(64), nullable=False, comment="A version of the tenant's (rule_packs)."),
    Column(
        "tests",
        JSON,
        nullable=False,
        comment="The candidate's test cases (not part of the hashed content): what promotion runs.",
    ),
    Column("published_by", String(128), nullable=True),
    Column("published_at", WHEN, nullable=False),
)

shadow_decisions = Table(
    "shadow_decisions",
    metadata,
    Column("run_id", String(64), nullable=False, comment="The conversation run whose decision this was."),
    Column(
        "decision",
        String(32),
        nullable=False,
        comment="The `decide` local activity's id in the run: one row per decision, however often retried.",
    ),
    Column("tenant", TENANT, nullable=False),
    Column("conversation_id", String(256), nullable=False),
    Column("shadow_hash", String(64), nullable=False),
    Column("live_hash", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column(
        "event_at", WHEN, nullable=False, comment="The event's time as the rules saw it (the trail's `at`)."
    ),
    Column("event_depth", Integer, nullable=False),
    Column("live_actions", JSON, nullable=False, comment="[{rule, action}] as the decision record has them."),
    Column("shadow_actions", JSON, nullable=False),
    Column("live_matched", JSON, nullable=False, comment="Ids of the rules that matched."),
    Column("shadow_matched", JSON, nullable=False),
    Column("shadow_errors", JSON, nullable=False, comment="Ids of the candidate's rules that failed."),
    Column("differs", Boolean, nullable=False, comment="Whether the actions differ (as `rules diff` says)."),
    Column("at", WHEN, nullable=False, comment="When the comparison was made."),
    PrimaryKeyConstraint("run_id", "decision"),
    Index("ix_shadow_decisions_tenant_at", "tenant", "at"),
)

kpi_threads = Table(
    "kpi_threads",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("conversation_id", String(200), nullable=False),
    Column("life_id", String(64), nullable=False),
    Column("thread", Integer, nullable=False),
    Column(
        "changes",
        Integer,
        nullable=False,
        comment="How many fact writes touched the thread; a summary is current for the count it read.",
    ),
    Column(
        "basis",
        Integer,
        nullable=False,
        comment=(
            "The summary's format (engine/kpis/summary.py VERSION) while current; 0 once facts changed."
        ),
    ),
    Column("started_at", WHEN, nullable=True),
    Column("settled_at", WHEN, nullable=True, comment="Solved or closed from then on; null: may still wait."),
    Column("first_at", WHEN, nullable=True, comment="The earliest instant among the thread's facts."),
    Column("last_at", WHEN, nullable=True, comment="The latest instant among the thread's facts."),
    Column("pack", String(64), nullable=True, comment="The hash of the pack the thread pinned."),
    Column("calendar", Text, nullable=True, comment="The business calendar it is measured on."),
    Column("summary", Text, nullable=True, comment="The thread's KPI values (engine/kpis/summary.py)."),
    PrimaryKeyConstraint("tenant", "conversation_id", "life_id", "thread"),
    Index("ix_kpi_threads_tenant_basis", "tenant", "basis"),
    Index("ix_kpi_threads_tenant_started_at", "tenant", "started_at"),
    # the backlog at a period's start: settled after it (or never), begun before it
    Index("ix_kpi_threads_tenant_settled_at", "tenant", "settled_at", "started_at"),
    # threads with facts on both sides of a period's end
    Index("ix_kpi_threads_tenant_last_at", "tenant", "last_at", "first_at"),
)

pack_proposals = Table(
    "pack_proposals",
    metadata,
    Column("proposal_id", String(32), primary_key=True, comment="Public id (p_ and 16 hex digits)."),
    Column("tenant", TENANT, nullable=False),
    Column("kind", String(16), nullable=False, comment="publish or promote (the shadow pack's)."),
    Column("pack_hash", String(64), nullable=False, comment="A version of the tenant's (rule_packs)."),
    Column(
        "base_hash",
        String(64),
        nullable=True,
        comment="The active pack when proposed: approving after it changed is refused (stale).",
    ),
    Column("tests", JSON, nullable=True, comment="A promotion's test cases: the gate re-runs them."),
    Column(
        "diff", JSON, nullable=False, comment="What changes against the base (engine/rules/pack_diff.py)."
    ),
    Column("proposed_by", String(128), nullable=False, comment="`api:<tenant>/<key>`."),
    Column("proposer_key", String(32), nullable=False, comment="The proposing key's id."),
    Column("proposed_at", WHEN, nullable=False),
    Column("status", String(16), nullable=False, comment="pending, approved or rejected."),
    Column("decided_by", String(128), nullable=True),
    Column("decider_key", String(32), nullable=True),
    Column("decided_at", WHEN, nullable=True),
    Column("comment", Text, nullable=True, comment="The approver's or rejecter's comment."),
    Index("ix_pack_proposals_tenant_proposed_at", "tenant", "proposed_at"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("subscription_id", String(32), primary_key=True, comment="Public id: sub_<hex>."),
    Column("tenant", TENANT, ForeignKey("tenants.tenant"), nullable=False),
    Column("url", Text, nullable=False, comment="Where events are POSTed (public unless allow_private)."),
    Column("events", JSON, nullable=False, comment="The event types delivered."),
    Column("description", String(500), nullable=False),
    Column("allow_private", Boolean, nullable=False, comment="May deliver to a private address."),
    Column("secret", Text, nullable=False, comment="The newest signing secret (whsec_...)."),
    Column("previous_secret", Text, nullable=True, comment="The rotated-out secret, until it retires."),
    Column("previous_retires_at", WHEN, nullable=True),
    Column("state", String(16), nullable=False, comment="active, or failing."),
    Column("failing_since", WHEN, nullable=True),
    Column("created_at", WHEN, nullable=False),
    Index("ix_subscriptions_tenant", "tenant"),
)

event_deliveries = Table(
    "event_deliveries",
    metadata,
    Column("subscription_id", String(32), nullable=False),
    Column("conversation_id", String(256), nullable=False),
    Column("sequence", Integer, nullable=False, comment="Per subscription and conversation."),
    Column("tenant", TENANT, nullable=False),
    Column("event_id", String(512), nullable=False, comment="Its webhook-id."),
    Column("type", String(64), nullable=False),
    Column("body", JSON, nullable=False, comment="The event as delivered (no message text)."),
    Column("created_at", WHEN, nullable=False),
    Column("state", String(16), nullable=False, comment="pending, delivered or failed (given up)."),
    Column("attempts", Integer, nullable=False),
    Column("window_starts_at", WHEN, nullable=False, comment="Retries stop 24 h after."),
    Column("next_attempt_at", WHEN, nullable=False),
    Column("claimed_until", WHEN, nullable=True, comment="A dispatcher is sending it until then."),
    Column("delivered_at", WHEN, nullable=True),
    PrimaryKeyConstraint("subscription_id", "conversation_id", "sequence"),
    UniqueConstraint("subscription_id", "event_id", name="uq_event_deliveries_subscription_event"),
    Index("ix_event_deliveries_state_next", "state", "next_attempt_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("subscription_id", String(32), nullable=False),
    Column("conversation_id", String(256), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("tenant", TENANT, nullable=False),
    Column("event_id", String(512), nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", WHEN, nullable=False),
    Column("status_code", Integer, nullable=True, comment="The receiver's HTTP status; null: no answer."),
    Column("error", String(300), nullable=True, comment="Why it failed: status, timeout, refused address."),
    Column("latency_ms", Integer, nullable=False),
    Column("next_retry_at", WHEN, nullable=True, comment="Next try; null: delivered or given up."),
    PrimaryKeyConstraint("subscription_id", "conversation_id", "sequence", "attempt"),
    Index("ix_delivery_attempts_subscription_at", "subscription_id", "at"),
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
