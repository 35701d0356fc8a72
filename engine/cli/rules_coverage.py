"""`convoflow rules coverage PACK`: what the pack's test cases exercise, and what fired on real traffic.

    convoflow rules coverage rule_packs/default                     # the test cases only
    convoflow rules coverage rule_packs/default --tenant acme --from 2026-11-01 --to 2026-12-01
    convoflow rules coverage PACK --format json                     # POST /v1/rules/coverage's answer

The test half needs nothing but the pack (a file, folder or published hash). The traffic half
(`--tenant`, `--from`, `--to`, `--conversations`) reads the tenant's decision trails from Temporal,
so like `convoflow audit` it runs where the service's data directory (payload keys) is.

Exit codes: 0 the report was made (whatever it says), 1 Temporal failed, 2 the pack or an argument
is invalid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from temporalio.service import RPCError

from engine.cli.audit import _in_the_service_folder
from engine.cli.audit_bundle import _client, _tenant_name
from engine.cli.command import DEFAULT_TENANT, CommandFailed, require_tenant
from engine.cli.rules import load_pack
from engine.cli.tenants import TENANT_HELP
from engine.rules.coverage import add_traffic, case_coverage, document, render, rule_ids
from engine.rules.coverage.period import DEFAULT_CONVERSATIONS, MAX_CONVERSATIONS, PeriodError, traffic_period
from engine.rules.decision import CompiledPack
from engine.service import rule_traffic
from engine.service.config import Settings


def register(commands: argparse._SubParsersAction) -> None:
    """Add `coverage` to `convoflow rules`."""
    p = commands.add_parser(
        "coverage", help="rules and condition branches the pack's tests exercise; rules fired on traffic"
    )
    p.add_argument("pack", help="a pack file or folder, or a published pack's hash")
    p.add_argument("--format", choices=("text", "json"), default="text")
    traffic = p.add_argument_group(
        "traffic", "how often each rule fired on the tenant's recorded decisions (any of these asks for it)"
    )
    traffic.add_argument("--tenant", type=_tenant_name, help=f"{TENANT_HELP} (default: {DEFAULT_TENANT})")
    traffic.add_argument("--from", dest="start", help="ISO time or date (default: 7 days before --to)")
    traffic.add_argument("--to", dest="end", help="ISO time or date, exclusive (default: now)")
    traffic.add_argument(
        "--conversations",
        type=int,
        help=f"read at most this many conversations, the latest first (default {DEFAULT_CONVERSATIONS}, "
        f"at most {MAX_CONVERSATIONS})",
    )
    p.set_defaults(func=_command)


def _wants_traffic(args: argparse.Namespace) -> bool:
    return any(v is not None for v in (args.tenant, args.start, args.end, args.conversations))


def _command(args: argparse.Namespace) -> int:
    run = _in_the_service_folder(_coverage, "convoflow rules coverage") if _wants_traffic(args) else _coverage
    return run(args)


def _coverage(args: argparse.Namespace) -> int:
    try:
        report = _report(args)
    except CommandFailed as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return exc.code
    print(json.dumps(report, indent=1) if args.format == "json" else render(report))
    return 0


def _report(args: argparse.Namespace) -> dict[str, Any]:
    period = None
    if _wants_traffic(args):
        try:
            period = traffic_period(
                start=args.start, end=args.end, conversations=args.conversations, now=datetime.now(UTC)
            )
        except PeriodError as exc:
            raise CommandFailed(2, [f"--{exc.parameter}: {exc.message}"]) from None
    if args.tenant is not None:
        require_tenant(args.tenant)
    # A version by hash: `--tenant`'s, with the test cases it published it with (not another's).
    pack = load_pack(args.pack, args.tenant, tenant_s_own=args.tenant is not None)
    report = document(pack, case_coverage(CompiledPack(pack), pack.tests))
    if period is None:
        return report
    tenant = args.tenant or DEFAULT_TENANT

    async def read() -> dict[str, Any]:
        client = await _client(Settings())
        counts = await rule_traffic.traffic(client, tenant, rule_ids(report), period)
        return add_traffic(report, counts, tenant=tenant)

    try:
        return asyncio.run(read())
    except (RPCError, RuntimeError, TimeoutError) as exc:
        raise CommandFailed(1, [f"convoflow rules coverage: Temporal: {type(exc).__name__}: {exc}"]) from None
