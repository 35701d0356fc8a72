"""`convoflow kpi rebuild|report`: the KPI projection recomputed from history, and the KPIs read from it.

- `rebuild [--tenant T] (--from-bundles DIR | --from-temporal)`: derive each conversation's facts
  from its decision trail (the audit bundles `convoflow audit export --all` wrote, or the trail
  every run answers in Temporal) with the function the workflow uses, and make them that
  conversation's facts. Prints `N conversations, M facts`. A bundle must verify with the
  deployment's audit key (as `convoflow audit verify`), or nothing is written; a conversation
  whose stored facts hold events its bundle lacks (exported before them) keeps them, said on stderr.
- `report [--tenant T] [--from ...] [--to ...] [--group-by team,channel] [--interval day] [--tz ZONE]
  [--team T] [--channel C] [--agent A] [--priority P] [--format json|csv]`: the same report as
  `GET /v1/kpis`, on stdout.

Exit codes: 0 done, 1 Temporal or the database failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError

from engine.audit.bundle import BundleError
from engine.cli.audit_bundle import _client, _tenant_name
from engine.cli.command import DEFAULT_TENANT
from engine.cli.tenants import TENANT_HELP
from engine.db.connection import SchemaError
from engine.db.keys import UnknownTenant, require_tenant
from engine.db.url import redacted
from engine.kpis.query import KpiQueryError, parse_query
from engine.kpis.report import to_csv
from engine.service import kpis
from engine.service.audit_key import AuditKeyError, audit_key_of
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database


def add_parser(sub: argparse._SubParsersAction) -> None:
    kpi = sub.add_parser("kpi", help="KPIs (docs/kpis.md): rebuild the projection from history, report")
    commands = kpi.add_subparsers(dest="kpi_command", required=True, metavar="COMMAND")
    p = commands.add_parser("rebuild", help="recompute the KPI facts from the recorded decision trails")
    p.add_argument("--tenant", type=_tenant_name, help=f"{TENANT_HELP} (bundles: only this tenant's)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-bundles", type=Path, metavar="DIR", help="audit bundles (.json, .zip)")
    source.add_argument("--from-temporal", action="store_true", help="every conversation of --tenant")
    p.set_defaults(func=_run(_rebuild))
    p = commands.add_parser("report", help="the KPIs by group and period, as GET /v1/kpis answers them")
    p.add_argument("--tenant", type=_tenant_name, default=DEFAULT_TENANT, help=TENANT_HELP)
    p.add_argument("--from", dest="start", help="ISO time or date (default: 7 days before --to)")
    p.add_argument("--to", dest="end", help="ISO time or date, exclusive (default: now)")
    p.add_argument("--group-by", help="comma-separated: team, channel, agent, priority")
    p.add_argument("--interval", help="day or week")
    p.add_argument("--tz", help="IANA time zone of the days and weeks, and of dates given (default UTC)")
    for name in ("team", "channel", "agent", "priority"):
        p.add_argument(f"--{name}", help=f"only the threads of this {name}")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.set_defaults(func=_run(_report))


Action = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def _run(action: Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(action(Settings(), args))
        except (KpiQueryError, _Usage) as exc:
            print(f"convoflow kpi: {exc}", file=sys.stderr)
            return 2
        except (BundleError, AuditKeyError) as exc:
            print(f"convoflow kpi: {exc}", file=sys.stderr)
            return 2
        except SchemaError as exc:  # a RuntimeError, but the database's (it was said as Temporal's)
            print(f"convoflow kpi: database: {exc}", file=sys.stderr)
            return 1
        except (RPCError, RuntimeError, TimeoutError) as exc:
            print(f"convoflow kpi: Temporal: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        except (SQLAlchemyError, OSError) as exc:
            print(f"convoflow kpi: {exc}", file=sys.stderr)
            return 1

    return run


class _Usage(ValueError):
    """Arguments that do not go together."""


async def _rebuild(settings: Settings, args: argparse.Namespace) -> int:
    paths: dict[tuple[str, str], Path] = {}  # of each bundle's conversation
    if args.from_temporal:
        if args.tenant is None:
            raise _Usage("--from-temporal needs --tenant")
        rebuilt = await kpis.rebuilt_from_temporal(await _client(settings), args.tenant)
    else:
        if not args.from_bundles.is_dir():
            raise _Usage(f"{args.from_bundles}: not a directory")
        key = audit_key_of(settings)
        rebuilt = []
        for path in sorted(args.from_bundles.iterdir()):
            if path.suffix.lower() not in (".json", ".zip"):
                continue
            try:
                one = kpis.rebuilt_from_bundle(path, key)
            except BundleError as exc:
                raise BundleError(f"{path}: {exc}") from None
            if args.tenant is None or one.tenant == args.tenant:
                rebuilt.append(one)
                paths[one.tenant, one.conversation] = path
            else:  # left out as asked, and said: it read as if every bundle in DIR was counted
                print(
                    f"convoflow kpi: {path}: skipped, a conversation of tenant {one.tenant} "
                    f"(--tenant {args.tenant})",
                    file=sys.stderr,
                )
    await prepare_database(settings)
    database = database_of(settings)
    try:
        # The erased lives out first: a bundle holding only those is no bundle "exported before" the
        # life the customer began since (it said "export it again", which changed nothing).
        rebuilt, erased = await kpis.without_erased(database, rebuilt)
        for gone in erased:
            one = gone.rebuilt
            where = paths.get((one.tenant, one.conversation), "Temporal")
            print(
                f"convoflow kpi: {where}: left out the facts of {one.tenant}/{one.conversation} from "
                f"before its erasure {gone.erasure_id} ({gone.erased_at.date().isoformat()}): an "
                "erased customer's conversation stays out of the KPIs",
                file=sys.stderr,
            )
        named = {(g.rebuilt.tenant, g.rebuilt.conversation) for g in erased}
        emptied = {(r.tenant, r.conversation) for r in rebuilt if not r.reached} & named
        older = await kpis.older_than_stored(database, rebuilt) if paths else []
        # What is stored of an emptied one is a life begun after the erasure: kept, said above.
        said_older = [one for one in older if (one.tenant, one.conversation) not in emptied]
        for one in said_older:
            print(
                f"convoflow kpi: {paths[one.tenant, one.conversation]}: kept the stored facts of "
                f"{one.tenant}/{one.conversation}: the bundle lacks events the database has (exported "
                "before them); export it again",
                file=sys.stderr,
            )
        kept = {(o.tenant, o.conversation) for o in older}
        rebuilt = [one for one in rebuilt if (one.tenant, one.conversation) not in kept]
        written = await kpis.write_rebuilt(database, rebuilt)
    finally:
        await database.dispose()
    notes = [f"{len(said_older)} kept as stored"] if said_older else []
    notes += [f"{len(emptied)} left out: erased"] if emptied else []
    counted = sum(1 for one in rebuilt if (one.tenant, one.conversation) not in emptied)
    print(f"{counted} conversations, {written} facts" + (f" ({'; '.join(notes)})" if notes else ""))
    return 0


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    query = parse_query(
        start=args.start,
        end=args.end,
        group_by=args.group_by,
        interval=args.interval,
        now=datetime.now(UTC),
        filters={name: getattr(args, name) for name in ("team", "channel", "agent", "priority")},
        tz=args.tz,
    )
    await prepare_database(settings)
    database = database_of(settings)
    try:
        # A typo of the tenant, or another data directory's database (a fresh one made here): the
        # report said `"rows": []` and exit 0, as for a quiet week.
        try:
            await require_tenant(database, args.tenant)
        except UnknownTenant as exc:
            raise _Usage(
                f"{exc}; or this is not the service's database ({redacted(settings.database)}): "
                "CONVOFLOW_DATA_DIR or CONVOFLOW_DATABASE_URL as it runs with"
            ) from None
        rows = await kpis.kpi_report(database, args.tenant, query)
    finally:
        await database.dispose()
    if args.format == "csv":
        sys.stdout.write(to_csv(rows))
    else:
        document = {
            "tenant": args.tenant,
            "from": query.start.isoformat(),
            "to": query.end.isoformat(),
            "group_by": list(query.group_by),
            "interval": query.interval,
            "rows": rows,
        }
        print(json.dumps(document, indent=2))
    return 0
