"""Trust: webhook secrets per tenant and channel, per-tenant limits, the four API roles.

- `webhook_secrets`: a tenant's signing secrets for inbound webhooks, per channel; two can be valid at
  once while a gateway rotates (the older one until its `retires_at`).
- `tenants.limits`: a tenant's own rate limits (JSON), over the deployment's defaults.
- Roles become admin, ops, auditor and integrator: keys created as `agent` (conversations and
  replies) become `integrator`, the role with those rights.

Each step checks whether it already ran, so an interrupted run (SQLite commits the DDL before the
version stamp) runs again to the end.

Revision ID: 0003_trust
Revises: 0002_db_delivery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_trust"
down_revision = "0002_db_delivery"
branch_labels = None
depends_on = None


def _columns(table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    op.create_table(
        "webhook_secrets",
        sa.Column("secret_id", sa.String(length=32), nullable=False, comment="Public id of the secret."),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False, comment="The HMAC key (whsec_...)."),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "retires_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When a rotated-out secret stops verifying; null while it is the newest.",
        ),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_webhook_secrets_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("secret_id", name=op.f("pk_webhook_secrets")),
        if_not_exists=True,
    )
    op.create_index(
        "ix_webhook_secrets_tenant_channel",
        "webhook_secrets",
        ["tenant", "channel"],
        unique=False,
        if_not_exists=True,
    )
    if "limits" not in _columns("tenants"):
        op.add_column(
            "tenants",
            sa.Column("limits", sa.JSON(), nullable=True, comment="The tenant's own rate limits."),
        )
    op.execute("UPDATE api_keys SET role = 'integrator' WHERE role = 'agent'")


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("limits")
    op.drop_index("ix_webhook_secrets_tenant_channel", table_name="webhook_secrets")
    op.drop_table("webhook_secrets")
