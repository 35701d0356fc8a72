"""`convoflow webhook-secret rotate|list`: a tenant's inbound webhook secrets, per channel.

They write to the control-plane database the API verifies webhooks against, so a rotation takes effect
on every API replica at once. The new secret is printed once, as the last line on stdout, and nowhere
else (not in any log); `list` never shows a secret.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.cli.tenants import TENANT_HELP, _command
from engine.contracts.conversation import Channel
from engine.db.keys import require_tenant
from engine.db.webhook_secrets import DEFAULT_OVERLAP, WebhookSecrets


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not 0 <= hours <= 24 * 30:
        raise argparse.ArgumentTypeError("between 0 and 720 hours")
    return hours


def add_parser(sub: argparse._SubParsersAction) -> None:
    secrets = sub.add_parser("webhook-secret", help="a tenant's inbound webhook secrets, per channel")
    commands = secrets.add_subparsers(dest="webhook_secret_command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "rotate",
        help="create a channel's new secret (printed once, last line); the old one retires after --overlap",
    )
    p.add_argument("--tenant", required=True, help=TENANT_HELP)
    p.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    p.add_argument(
        "--overlap",
        type=_hours,
        default=DEFAULT_OVERLAP.total_seconds() / 3600,
        metavar="HOURS",
        help="how long the previous secret keeps verifying (default 24; 0 retires it at once)",
    )
    p.set_defaults(func=_command(_rotate))
    p = commands.add_parser(
        "list", help="a tenant's secrets: ids, channels, created, retires (never the secret)"
    )
    p.add_argument("--tenant", required=True, help=TENANT_HELP)
    p.set_defaults(func=_command(_list))


async def _rotate(database: AsyncEngine, args: argparse.Namespace) -> int:
    info, secret = await WebhookSecrets(database).rotate(
        args.tenant, args.channel, timedelta(hours=args.overlap)
    )
    print(f"secret_id {info.secret_id}")
    print(secret)
    print(
        f"created webhook secret {info.secret_id} for tenant {info.tenant}, channel {info.channel}: give it "
        f"to the gateway now, it is not shown again; the previous one verifies {args.overlap:g} more hours",
        file=sys.stderr,
    )
    return 0


async def _list(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    print(f"{'SECRET_ID':<22} {'CHANNEL':<10} {'CREATED':<26} RETIRES")
    for info in await WebhookSecrets(database).list_for(args.tenant):
        retires = info.retires_at.isoformat(timespec="seconds") if info.retires_at else "-"
        created = info.created_at.isoformat(timespec="seconds")
        print(f"{info.secret_id:<22} {info.channel:<10} {created:<26} {retires}")
    return 0
