"""The tables of the control-plane database, as SQLAlchemy Core (the migrations create exactly these).

Every row that belongs to a tenant carries its `tenant`, and every store query filters on it.
Uniqueness that matters for correctness (one delivery per idempotency key, one sighting of an
inbound id) is a constraint, so two processes racing cannot both win: the database decides.

The tables are defined by area in the private modules beside this one, all on the one `metadata`
(_base.py); importing this package assembles it, so `metadata` always holds every table (the
migrations' env.py compares against it). Callers import tables from here, not from the areas.
"""

from __future__ import annotations

from engine.db.schema._base import metadata
from engine.db.schema._conversations import (
    crm_contacts,
    crm_writes,
    delivery_ledger,
    inbound_seen,
    mail_quarantine,
    mailbox_marks,
    outbox,
)
from engine.db.schema._customers import customer_conversations, erasures, retention_sweeps
from engine.db.schema._kpis import kpi_facts, kpi_threads
from engine.db.schema._rules import (
    active_packs,
    intent_models,
    pack_activations,
    pack_proposals,
    rule_packs,
    shadow_decisions,
    shadow_packs,
)
from engine.db.schema._subscriptions import delivery_attempts, event_deliveries, subscriptions
from engine.db.schema._tenants import (
    agents,
    api_keys,
    audit_key_fingerprint,
    console_sessions,
    idempotency_keys,
    payload_key_fingerprints,
    tenant_setting_changes,
    tenants,
    webhook_secrets,
)

__all__ = [  # the imports above group them by area
    "active_packs",
    "agents",
    "api_keys",
    "audit_key_fingerprint",
    "console_sessions",
    "crm_contacts",
    "crm_writes",
    "customer_conversations",
    "delivery_attempts",
    "delivery_ledger",
    "erasures",
    "event_deliveries",
    "idempotency_keys",
    "inbound_seen",
    "intent_models",
    "kpi_facts",
    "kpi_threads",
    "mail_quarantine",
    "mailbox_marks",
    "metadata",
    "outbox",
    "pack_activations",
    "pack_proposals",
    "payload_key_fingerprints",
    "retention_sweeps",
    "rule_packs",
    "shadow_decisions",
    "shadow_packs",
    "subscriptions",
    "tenant_setting_changes",
    "tenants",
    "webhook_secrets",
]
