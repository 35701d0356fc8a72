"""Control-plane tables: tenants and keys, rule packs, ledger, inbound dedup, CRM, outbox.

Every create is `if_not_exists`, so a migration interrupted half-way (SQLite commits each DDL statement)
runs again to the end.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "active_packs",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("pack_hash", sa.String(length=64), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_active_packs")),
        if_not_exists=True,
    )
    op.create_table(
        "crm_contacts",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("tier", sa.String(length=64), nullable=True),
        sa.Column(
            "fields", sa.JSON(), nullable=False, comment="Every other field the CRM holds for the contact."
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "customer_id", name=op.f("pk_crm_contacts")),
        if_not_exists=True,
    )
    op.create_index(
        "ix_crm_contacts_email", "crm_contacts", ["tenant", "email"], unique=False, if_not_exists=True
    )
    op.create_index(
        "ix_crm_contacts_phone", "crm_contacts", ["tenant", "phone"], unique=False, if_not_exists=True
    )

    op.create_table(
        "crm_writes",
        sa.Column("idempotency_key", sa.String(length=512), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("field", sa.String(length=128), nullable=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_crm_writes")),
        if_not_exists=True,
    )
    op.create_index(
        "ix_crm_writes_customer", "crm_writes", ["tenant", "customer_id"], unique=False, if_not_exists=True
    )

    op.create_table(
        "delivery_ledger",
        sa.Column("idempotency_key", sa.String(length=512), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_delivery_ledger")),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_delivery_ledger_tenant"), "delivery_ledger", ["tenant"], unique=False, if_not_exists=True
    )

    op.create_table(
        "inbound_seen",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="webhook or email"),
        sa.Column("external_id", sa.String(length=512), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "kind", "external_id", name=op.f("pk_inbound_seen")),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_inbound_seen_seen_at"), "inbound_seen", ["seen_at"], unique=False, if_not_exists=True
    )

    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=512), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=256), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False, comment="The outbound message as delivered."),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
        if_not_exists=True,
    )
    op.create_index(
        "ix_outbox_tenant_conversation",
        "outbox",
        ["tenant", "conversation_id"],
        unique=False,
        if_not_exists=True,
    )

    op.create_table(
        "rule_packs",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column(
            "pack_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the canonical content."
        ),
        sa.Column("content", sa.Text(), nullable=False, comment="The canonical pack JSON the hash covers."),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("published_by", sa.String(length=128), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "source", sa.Text(), nullable=True, comment="Where it was published from (path, API request)."
        ),
        sa.PrimaryKeyConstraint("tenant", "pack_hash", name=op.f("pk_rule_packs")),
        if_not_exists=True,
    )
    op.create_index("ix_rule_packs_pack_hash", "rule_packs", ["pack_hash"], unique=False, if_not_exists=True)

    op.create_table(
        "tenants",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_tenants")),
        if_not_exists=True,
    )
    op.create_table(
        "api_keys",
        sa.Column(
            "key_id",
            sa.String(length=32),
            nullable=False,
            comment="Public id of the key, for listing and revoking.",
        ),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False, comment="SHA-256 hex of the secret key."),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name=op.f("fk_api_keys_tenant")),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_api_keys_tenant"), "api_keys", ["tenant"], unique=False, if_not_exists=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_keys_tenant"), table_name="api_keys")

    op.drop_table("api_keys")
    op.drop_table("tenants")
    op.drop_index("ix_rule_packs_pack_hash", table_name="rule_packs")

    op.drop_table("rule_packs")
    op.drop_index("ix_outbox_tenant_conversation", table_name="outbox")

    op.drop_table("outbox")
    op.drop_index(op.f("ix_inbound_seen_seen_at"), table_name="inbound_seen")

    op.drop_table("inbound_seen")
    op.drop_index(op.f("ix_delivery_ledger_tenant"), table_name="delivery_ledger")

    op.drop_table("delivery_ledger")
    op.drop_index("ix_crm_writes_customer", table_name="crm_writes")

    op.drop_table("crm_writes")
    op.drop_index("ix_crm_contacts_phone", table_name="crm_contacts")
    op.drop_index("ix_crm_contacts_email", table_name="crm_contacts")

    op.drop_table("crm_contacts")
    op.drop_table("active_packs")
