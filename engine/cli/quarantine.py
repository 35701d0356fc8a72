"""`convoflow quarantine list|show|release|delete`: a tenant's quarantined mail, for ops at a shell.

The same store as `GET /v1/quarantine` (engine/db/mail_quarantine.py), opened with the same keyring,
so the CLI reads what the API and the mailboxes sealed. `release` delivers the mail into a conversation
through Temporal (the embedded server's address under `convoflow up`, else TEMPORAL_ADDRESS); it is
idempotent: a released item answers the conversation it went to.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.api.conversation_calls import Conversations
from engine.api.errors import ApiError
from engine.api.quarantine import view
from engine.cli.tenants import TENANT_HELP, _command
from engine.db.keys import require_tenant
from engine.db.mail_quarantine import MailQuarantine
from engine.mail.verdicts import QuarantineReason
from engine.service.config import Settings
from engine.service.embedded_service import NotThisService, temporal_address
from engine.service.mail_intake import mail_intake
from engine.service.payload_keys import KeyringError, keyring_of
from engine.service.quarantine_seal import QuarantineSealer
from engine.service.temporal_client import connect_checked

TEMPORAL_SECONDS = 30.0


def add_parser(sub: argparse._SubParsersAction) -> None:
    quarantine = sub.add_parser("quarantine", help="a tenant's quarantined inbound mail")
    commands = quarantine.add_subparsers(dest="quarantine_command", required=True, metavar="COMMAND")
    p = commands.add_parser("list", help="quarantined mail, oldest first (id, reason, sender, subject)")
    p.add_argument("--tenant", required=True, help=TENANT_HELP)
    p.add_argument("--reason", choices=[r.value for r in QuarantineReason])
    p.add_argument("--released", choices=["true", "false"], help="only released (or not released) items")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=_command(_list))
    for name, action, text in (
        ("show", _show, "one item: why, from where, sender, subject, text, attachments"),
        ("release", _release, "deliver it into a conversation (idempotent)"),
        ("delete", _delete, "delete it (it is personal data: nothing is kept)"),
    ):
        p = commands.add_parser(name, help=text)
        p.add_argument("id", help="the quarantine id (q_...)")
        p.add_argument("--tenant", required=True, help=TENANT_HELP)
        p.set_defaults(func=_command(action))


def quarantine_store(database: AsyncEngine) -> MailQuarantine:
    """The quarantine as the API and the mailboxes keep it, opened with the settings' keyring."""
    settings = Settings()
    sealer = QuarantineSealer(keyring_of(settings))
    return MailQuarantine(database, sealer, retention=timedelta(days=settings.quarantine_days))


async def _list(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    released = None if args.released is None else args.released == "true"
    store, after, shown = quarantine_store(database), None, 0
    while True:
        items = await store.page(args.tenant, limit=500, after=after, reason=args.reason, released=released)
        for item in items:
            row = view(item, content=True)
            if args.json:
                print(json.dumps(row, ensure_ascii=False))
            else:
                state = f"released to {item.conversation_id}" if item.conversation_id else "held"
                print(
                    f"{item.quarantine_id}  {item.received_at:%Y-%m-%d %H:%M}  {item.reason:<14} "
                    f"{_one_line(row.get('sender'))}  {_one_line(row.get('subject'))}  [{state}]"
                )
            shown += 1
        if len(items) < 500:
            break
        after = (items[-1].received_at.isoformat(), items[-1].quarantine_id)
    if not args.json:
        print(f"{shown} item(s)", file=sys.stderr)
    return 0


async def _show(database: AsyncEngine, args: argparse.Namespace) -> int:
    item = await quarantine_store(database).get(args.tenant, args.id)
    if item is None:
        print(f"convoflow: no quarantined mail {args.id!r} in tenant {args.tenant}", file=sys.stderr)
        return 1
    print(json.dumps(view(item, content=True, full=True), ensure_ascii=False, indent=2))
    return 0


async def _release(database: AsyncEngine, args: argparse.Namespace) -> int:
    store = quarantine_store(database)
    item = await store.get(args.tenant, args.id, with_raw=True)
    if item is None:
        print(f"convoflow: no quarantined mail {args.id!r} in tenant {args.tenant}", file=sys.stderr)
        return 1
    if item.conversation_id is not None:
        print(f"already released to conversation {item.conversation_id}")
        return 0
    if item.raw is None or not item.summary.get("sender"):
        print("convoflow: it has no usable sender (or cannot be opened): delete it instead", file=sys.stderr)
        return 1
    settings = Settings()
    try:
        async with asyncio.timeout(TEMPORAL_SECONDS):
            client = await connect_checked(settings, temporal_address(settings), part=False)
            conversations = Conversations.of(client, settings, database)
            taken = await mail_intake(conversations, database).release(
                args.tenant, item.raw, reason=item.reason
            )
    except (ApiError, TimeoutError, OSError, RuntimeError, KeyringError) as exc:
        print(f"convoflow: not released: {_reason(exc)}; try again", file=sys.stderr)
        return 1
    assert taken.conversation_id is not None
    await store.mark_released(
        args.tenant, item.quarantine_id, conversation_id=taken.conversation_id, by="cli"
    )
    print(f"released to conversation {taken.conversation_id}")
    return 0


async def _delete(database: AsyncEngine, args: argparse.Namespace) -> int:
    if not await quarantine_store(database).delete(args.tenant, args.id):
        print(f"convoflow: no quarantined mail {args.id!r} in tenant {args.tenant}", file=sys.stderr)
        return 1
    print(f"deleted {args.id}")
    return 0


def _one_line(value: Any) -> str:
    return " ".join(str(value or "-").split())[:60]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        return exc.message
    return str(exc) if isinstance(exc, NotThisService | KeyringError) else type(exc).__name__
