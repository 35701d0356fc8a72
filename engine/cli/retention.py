"""`convoflow retention sweep`: delete a tenant's conversations closed and idle for longer than it
keeps them (engine/service/retention.py), for an operator's daily cron job.

    convoflow retention sweep --tenant acme --keep-days 365          # what would go
    convoflow retention sweep --tenant acme --keep-days 365 --yes    # delete it
    convoflow retention sweep --tenant acme                          # with its retention_days

A tenant whose `retention_days` is set (`convoflow tenant set acme --retention-days 365`) is swept by
the workers without a cron job (engine/service/retention_scheduler.py); this command serves a sweep
at once, and a dry run of what the next would delete.

Exit codes: 0 done (or nothing to do), 1 Temporal or the database failed (run it again: it goes on),
2 bad input or a dry run that found conversations to delete.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.service import RPCError

from engine.cli.customers import as_json, failure_reason, temporal_client
from engine.cli.tenants import TENANT_HELP, _command
from engine.db.keys import require_tenant
from engine.db.retention_sweeps import retention_of
from engine.service import retention
from engine.service.config import Settings
from engine.service.embedded_service import NotThisService
from engine.service.payload_keys import KeyringError

MIN_KEEP_DAYS = 0.0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("retention", help="delete conversations closed longer than a tenant keeps them")
    commands = parser.add_subparsers(dest="retention_command", required=True, metavar="COMMAND")
    p = commands.add_parser("sweep", help="delete the tenant's conversations closed with no activity since")
    p.add_argument("--tenant", required=True, help=TENANT_HELP)
    p.add_argument(
        "--keep-days",
        type=float,
        help="how long a closed conversation is kept after its last activity (days; default: the "
        "tenant's retention_days)",
    )
    p.add_argument(
        "--limit", type=int, default=retention.SWEEP_LIMIT, help="at most this many in one sweep (1-10000)"
    )
    p.add_argument("--yes", action="store_true", help="really delete: nothing can bring it back")
    p.set_defaults(func=_command(_sweep))


async def _sweep(database: AsyncEngine, args: argparse.Namespace) -> int:
    if args.keep_days is not None and (not args.keep_days >= MIN_KEEP_DAYS or args.keep_days > 36_500):
        raise ValueError("--keep-days: a number of days from 0 to 36500")
    if not 1 <= args.limit <= 10_000:
        raise ValueError("--limit: from 1 to 10000")
    await require_tenant(database, args.tenant)
    if args.keep_days is None:
        args.keep_days = (await retention_of(database, args.tenant)).keep_days
        if args.keep_days is None:
            raise ValueError(
                f"--keep-days: tenant {args.tenant!r} keeps conversations for ever (no retention_days): "
                "give --keep-days, or set it with `convoflow tenant set`"
            )
    settings = Settings()
    try:
        client = await temporal_client(settings)
        outcome = await retention.sweep(
            client, database, settings, args.tenant, args.keep_days, limit=args.limit, dry_run=not args.yes
        )
    except KeyringError as exc:
        print(f"convoflow: nothing deleted: the payload keys: {exc}", file=sys.stderr)
        return 1
    except (RPCError, TimeoutError, NotThisService, RuntimeError) as exc:
        # RuntimeError: the SDK's "Failed client connect", a server named by TEMPORAL_ADDRESS that is down.
        print(f"convoflow: sweep incomplete: Temporal: {failure_reason(exc)}; run it again", file=sys.stderr)
        return 1
    cutoff = outcome.cutoff.isoformat(timespec="seconds")
    if not args.yes:
        print(as_json({"cutoff": cutoff, "would_delete": outcome.found}))
        if outcome.found:
            print(
                f"convoflow: nothing deleted: add --yes to delete these {len(outcome.found)}", file=sys.stderr
            )
            return 2
        return 0
    print(as_json({"cutoff": cutoff, "refused": outcome.refused, "record": outcome.record}))
    deleted = len(outcome.record["conversations"]) if outcome.record else 0
    print(f"{deleted} conversation(s) of tenant {args.tenant} deleted", file=sys.stderr)
    if outcome.refused:
        print(f"convoflow: {len(outcome.refused)} refused to end (listed under refused)", file=sys.stderr)
    if deleted == args.limit:
        print("convoflow: the limit was reached: run it again for the rest", file=sys.stderr)
    return 0
