"""What `audit explain`, `audit whatif` and `audit export-events` read: the workflow, its packs, visibility.

A conversation is addressed only inside its tenant (`conversation:{tenant}:{id}`), so one tenant's
auditor cannot read another's. The trail and state come from the workflow's `state` query (a worker
answers it, replaying if the conversation was evicted); contexts come from replaying its histories
in this process (engine/service/audit_capture.py); packs by hash from the control-plane database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from engine.contracts.conversation import (
    ID_PATTERN,
    ConversationState,
    conversation_workflow_id,
    external_id_of,
)
from engine.db.packs import PackStore, UnknownPack
from engine.rules.pack import RulePack
from engine.service.config import Settings
from engine.service.embedded_service import temporal_address
from engine.service.temporal_client import connect
from workflows.conversation import search_attributes as sa
from workflows.conversation.workflow import ConversationWorkflow

_ID = re.compile(ID_PATTERN)


class UnknownConversation(LookupError):
    """No conversation with that id in that tenant."""


async def connect_cli(settings: Settings) -> Client:
    """The configured cluster, or the embedded server `convoflow up` runs (as the other commands reach
    it): NotThisService names the settings when no `up` of the data directory listens on that port (a
    moved port was "Temporal at 127.0.0.1:7233 did not answer")."""
    return await connect(settings, temporal_address(settings))


def checked_id(name: str, value: str) -> str:
    """`value` if it is a valid id: tenants and conversation ids enter workflow ids and visibility queries."""
    if not _ID.fullmatch(value):
        raise ValueError(
            f"{name} {value!r}: letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def workflow_id(tenant: str, conversation: str) -> str:
    """The conversation's workflow id, both parts checked."""
    return conversation_workflow_id(checked_id("tenant", tenant), checked_id("conversation", conversation))


async def conversation_state(client: Client, tenant: str, conversation: str) -> ConversationState:
    """The conversation as its workflow holds it now, trail included (the last 500 decisions)."""
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id(tenant, conversation))
    try:
        return await handle.query(ConversationWorkflow.state)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise UnknownConversation(f"no conversation {conversation!r} in tenant {tenant}") from None
        raise


async def packs_by_hash(database: AsyncEngine, hashes: Iterable[str]) -> dict[str, RulePack]:
    """The published packs among `hashes`; a hash no longer stored is left out (shown as unknown)."""
    store = PackStore(database)
    found: dict[str, RulePack] = {}
    for digest in sorted(set(hashes)):
        try:
            found[digest] = await store.get(digest)
        except UnknownPack:
            continue
    return found


async def conversations_since(client: Client, tenant: str, since: datetime) -> list[str]:
    """The tenant's conversations with activity at or after `since`, by id (visibility lags by ~1 s),
    from the minute `since` falls in: lists hold the minute of a conversation's latest activity."""
    checked_id("tenant", tenant)
    query = (
        f"WorkflowType = 'ConversationWorkflow' AND {sa.TENANT.name} = '{tenant}' "
        f"AND {sa.active_since(since)}"
    )
    ids = {external_id_of(wf.id) async for wf in client.list_workflows(query)}
    return sorted(ids)


async def known_conversation(client: Client, tenant: str, conversation: str) -> str:
    """The workflow id, after checking the conversation exists in the tenant."""
    wid = workflow_id(tenant, conversation)
    try:
        await client.get_workflow_handle(wid).describe()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise UnknownConversation(f"no conversation {conversation!r} in tenant {tenant}") from None
        raise
    return wid
