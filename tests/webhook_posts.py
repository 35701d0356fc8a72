"""Signed inbound webhooks as a tenant's gateway sends them, for the webhook trust tests."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from engine import webhook_signature
from engine.db.keys import ensure_tenant
from engine.db.webhook_secrets import WebhookSecrets
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient, Reply


def event(conversation: str, message_id: str, channel: str = "whatsapp") -> bytes:
    return json.dumps(
        {
            "type": "message.inbound",
            "channel": channel,
            "conversation_id": conversation,
            "message_id": message_id,
            "sender": {"address": "+4915100000042"},
            "text": "Hallo",
        }
    ).encode()


async def post(
    api: ApiClient,
    tenant: str,
    secret: str,
    body: bytes,
    webhook_id: str,
    *,
    sent_at: int | None = None,
) -> Reply:
    """POST /v1/inbound/webhook/{tenant}, signed with `secret` at `sent_at` (default: now)."""
    signed = webhook_signature.headers(secret, webhook_id, sent_at or int(time.time()), body)
    return await api.request("POST", f"/v1/inbound/webhook/{tenant}", data=body, tenant=None, headers=signed)


async def workflow_status(client: Client, tenant: str, conversation: str) -> WorkflowExecutionStatus | None:
    """The conversation's workflow status in Temporal, None when there never was one."""
    try:
        described = await client.get_workflow_handle(f"conversation:{tenant}:{conversation}").describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return described.status


async def rotate(
    settings: Settings, tenant: str, channel: str, overlap: timedelta = timedelta(hours=24)
) -> tuple[str, str]:
    """A new secret of the tenant's channel through the store: (secret_id, secret)."""
    database = database_of(settings)
    try:
        info, secret = await WebhookSecrets(database).rotate(tenant, channel, overlap)
        return info.secret_id, secret
    finally:
        await database.dispose()


async def create_tenants(settings: Settings, *names: str) -> None:
    database = database_of(settings)
    try:
        for name in names:
            await ensure_tenant(database, name)  # the settings fixture made those its keys name
    finally:
        await database.dispose()
