"""`convoflow rules publish --shadow | shadow | shadow-report | promote`: shadow mode from a shell.

The same steps as the /v1/rules/shadow routes (engine/api/rules_shadow.py), on the configured
database: a candidate published as shadow is decided beside the live pack by every worker, the
report counts how its decisions differ, and `promote` makes it active when its test cases pass and
its check has no error. Exit codes as every `rules` command: 0 fine, 1 promotion refused (tests or
check), 2 bad input (an invalid pack, a check error, no shadow pack).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.cli.command import (
    DEFAULT_TENANT,
    CommandFailed,
    cli_user,
    refuse_when_approval_required,
    with_store,
)
from engine.cli.rules import load_pack
from engine.db.packs import PackStore
from engine.db.shadow import AlreadyActive, ShadowStore
from engine.kpis.query import KpiQueryError, parse_query
from engine.rules.analysis import CheckReport, analyse
from engine.rules.promotion import promotion_blockers
from engine.rules.shadow_report import report
from engine.service.roster_rules import unknown_agents


def publish_shadow(args: argparse.Namespace) -> int:
    """`rules publish --shadow`: valid and no check error (its tests need not pass yet)."""
    pack = load_pack(args.pack, args.tenant)
    checked = CheckReport.of(analyse(pack))
    if checked.errors:
        raise CommandFailed(
            2,
            [f"not published as shadow: `convoflow rules check` finds {checked.errors} error(s):"]
            + [f"  {f}" for f in checked.findings if f.severity == "error"],
        )

    source = str(Path(args.pack).resolve())

    async def store(packs: PackStore) -> str:
        if problems := await unknown_agents(packs.engine, args.tenant, pack):
            raise CommandFailed(2, [f"{args.pack}: {p.field}: {p.message}" for p in problems])
        try:
            return await ShadowStore(packs.engine).set(
                args.tenant, pack, published_by=cli_user(), source=source
            )
        except AlreadyActive as exc:
            raise CommandFailed(2, [f"not published as shadow: {exc}"]) from None

    digest = with_store(store)
    print(
        f"published {pack.meta.name} {pack.meta.version} as tenant {args.tenant}'s shadow pack {digest}: "
        "every live decision is also taken with it, never executed (`convoflow rules shadow-report`)"
    )
    return 0


def cmd_shadow(args: argparse.Namespace) -> int:
    async def run(packs: PackStore) -> tuple[Any, bool]:
        shadows = ShadowStore(packs.engine)
        current = await shadows.current(args.tenant)
        return current, (await shadows.clear(args.tenant)) if args.stop else False

    current, stopped = with_store(run)
    if current is None:
        print(f"tenant {args.tenant} has no shadow pack")
        return 0
    print(
        f"{current.hash}  {current.name} {current.version}  {current.tests} test case(s)  "
        f"published {current.published_at} by {current.published_by or '-'}"
    )
    if stopped:
        print(f"stopped: tenant {args.tenant}'s workers stop deciding with it within seconds")
    return 0


def cmd_shadow_report(args: argparse.Namespace) -> int:
    try:
        query = parse_query(
            start=args.start, end=args.end, group_by=None, interval=None, now=datetime.now(UTC)
        )
    except KpiQueryError as exc:
        raise CommandFailed(2, [f"--{exc.parameter}: {exc.message}"]) from None

    async def read(packs: PackStore) -> tuple[str | None, dict[str, Any]]:
        shadows = ShadowStore(packs.engine)
        digest = args.hash or await shadows.hash_for(args.tenant)
        return digest, report(await shadows.comparisons(args.tenant, query.start, query.end, digest))

    digest, body = with_store(read)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "tenant": args.tenant,
                    "from": query.start.isoformat(),
                    "to": query.end.isoformat(),
                    "shadow_hash": digest,
                    **body,
                },
                indent=1,
            )
        )
        return 0
    print(f"shadow pack {digest or '(every candidate)'}, tenant {args.tenant}, {query.start} to {query.end}")
    print(_line("total", body["total"]))
    for row in body["by_live_pack"]:  # what the candidate was compared with: each conversation's pinned pack
        print(_line(f"against live pack {row['live_hash'][:12]}", row))
    for row in body["by_event"]:
        print(_line(f"event {row['event']}", row))
    for row in body["by_rule"]:
        errors = f", {row['errors']} condition error(s)" if row["errors"] else ""
        print(_line(f"rule {row['rule']}", row) + errors)
    return 0


def _line(label: str, row: dict[str, Any]) -> str:
    examples = f"  e.g. {', '.join(row['examples'])}" if row["examples"] else ""
    return f"  {label}: {row['differ']} of {row['compared']} differ ({row['rate']:.1%}){examples}"


def cmd_promote(args: argparse.Namespace) -> int:
    async def promote(packs: PackStore) -> str:
        shadows = ShadowStore(packs.engine)
        await refuse_when_approval_required(packs, args.tenant, "promoted", "POST /v1/rules/shadow/promote")
        found = await shadows.candidate(args.tenant)
        if found is None:
            raise CommandFailed(2, [f"tenant {args.tenant} has no shadow pack to promote"])
        pack, row = found
        if blockers := promotion_blockers(pack):
            raise CommandFailed(1, ["not promoted:"] + [f"  {b.field}: {b.message}" for b in blockers])
        if problems := await unknown_agents(packs.engine, args.tenant, pack):
            raise CommandFailed(2, [f"not promoted: {p.field}: {p.message}" for p in problems])
        # The activation ends its shadow run.
        await packs.activate(
            args.tenant, pack.content_hash, activated_by=cli_user(), via="promote", text=row.text
        )
        return pack.content_hash

    digest = with_store(promote)
    print(f"promoted {digest}: active for tenant {args.tenant}'s new conversations; no shadow pack now")
    return 0


def add_commands(command: Any) -> None:
    """Register the shadow commands with `rules`' own `command(name, func, help)` helper."""
    tenant_help = f"whose shadow pack (default: {DEFAULT_TENANT})"
    p = command("shadow", cmd_shadow, "show the tenant's shadow pack; --stop stops it")
    p.add_argument("--tenant", default=DEFAULT_TENANT, help=tenant_help)
    p.add_argument("--stop", action="store_true", help="stop deciding with it")
    p = command(
        "shadow-report", cmd_shadow_report, "how the shadow pack's decisions differ from the live ones"
    )
    p.add_argument("--tenant", default=DEFAULT_TENANT, help=tenant_help)
    p.add_argument("--from", dest="start", help="ISO time or date (default: 7 days before --to)")
    p.add_argument("--to", dest="end", help="ISO time or date, exclusive (default: now)")
    p.add_argument("--hash", help="another candidate's comparisons (default: the current shadow pack)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p = command(
        "promote", cmd_promote, "make the shadow pack active (its tests pass, its check has no error)"
    )
    p.add_argument("--tenant", default=DEFAULT_TENANT, help=tenant_help)
