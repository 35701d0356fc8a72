"""`convoflow tenant create|limits NAME` and `convoflow key create|list|revoke`: tenants and API keys.

`tenant limits` shows or sets a tenant's own rate limits, read by every API process within seconds.
`tenant set NAME --require-approval on|off` turns four-eyes publishing on or off, and
`--retention-days N|off` keeps closed conversations N days, then the workers delete them (each change
recorded as `cli:<user>`, with the time); `tenant set NAME` alone shows the settings, the retention
sweeps and the changes.

They write to the control-plane database the API reads keys from, so a key works (and a revoked key
stops working) without restarting anything. A new key is printed once, on stdout, and nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.cli.command import cli_user
from engine.db.connection import SchemaError
from engine.db.keys import (
    ROLES,
    create_key,
    create_tenant,
    list_keys,
    list_tenants,
    require_tenant,
    revoke_key,
)
from engine.db.retention_sweeps import MAX_KEEP_DAYS, LastSweep, retention_of, set_keep_days
from engine.db.tenant_limits import TenantLimits, limits_of, set_limits
from engine.db.tenant_settings import set_require_approval, settings_of
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database, require_shared_database
from engine.service.settings_problems import settings_problems

LIMIT_FIELDS = tuple(TenantLimits.model_fields)
TENANT_HELP = "tenant id: letters, digits, `.`, `_`, `-`, at most 64, starting with a letter or digit"


def add_parser(sub: argparse._SubParsersAction) -> None:
    tenants = sub.add_parser("tenant", aliases=["tenants"], help="tenants of this deployment")
    commands = tenants.add_subparsers(dest="tenants_command", required=True, metavar="COMMAND")
    p = commands.add_parser("create", help="create a tenant")
    p.add_argument("name", help=TENANT_HELP)
    p.set_defaults(func=_command(_create_tenant))
    commands.add_parser("list", help="the tenants, one per line").set_defaults(func=_command(_list_tenants))
    p = commands.add_parser(
        "limits",
        help="show or set a tenant's own rate limits (per minute; 0: off); unset ones keep the defaults",
    )
    p.add_argument("name", help=TENANT_HELP)
    for field in LIMIT_FIELDS:
        about = TenantLimits.model_fields[field].description
        p.add_argument(f"--{field.replace('_', '-')}", type=int, metavar="N", dest=field, help=about)
    p.add_argument("--reset", action="store_true", help="drop the tenant's own limits first")
    p.set_defaults(func=_command(_tenant_limits))
    p = commands.add_parser(
        "set", help="show or change a tenant's settings (four-eyes publishing, retention)"
    )
    p.add_argument("name", help=TENANT_HELP)
    p.add_argument(
        "--require-approval",
        choices=("on", "off"),
        help="on: a publish or promotion is a proposal another ops or admin key approves (API only)",
    )
    p.add_argument(
        "--retention-days",
        metavar="N|off",
        help="delete a closed conversation N days after its last activity (the workers sweep); off: keep",
    )
    p.set_defaults(func=_command(_tenant_set))

    keys = sub.add_parser("key", aliases=["keys"], help="API keys of a tenant")
    commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    p = commands.add_parser("create", help="create a key (printed once, never stored in clear)")
    p.add_argument("--tenant", required=True)
    p.add_argument("--role", required=True, choices=ROLES)
    p.set_defaults(func=_command(_create_key))
    p = commands.add_parser("list", help="keys (of one tenant with --tenant): ids, roles, created, revoked")
    p.add_argument("--tenant")
    p.set_defaults(func=_command(_list_keys))
    p = commands.add_parser("revoke", help="revoke a key by its id (the API stops taking it within seconds)")
    p.add_argument("key_id")
    p.set_defaults(func=_command(_revoke_key))


Action = Callable[[AsyncEngine, argparse.Namespace], Coroutine[Any, Any, int]]


def _command(action: Action) -> Callable[[argparse.Namespace], int]:
    """Run an action on the database from settings (the embedded default migrates itself first)."""

    def run(args: argparse.Namespace) -> int:
        try:
            settings = Settings()
        except ValidationError as exc:  # its own words: pydantic's would echo the value
            print(f"convoflow: bad setting: {settings_problems(exc)}", file=sys.stderr)
            return 2
        try:
            return asyncio.run(_on_database(settings, action, args))
        except (ValueError, ValidationError) as exc:
            print(f"convoflow: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:  # `| head` left: main() stops quietly (141), it is not the database
            raise
        except (SchemaError, SQLAlchemyError, OSError) as exc:
            print(f"convoflow: database: {exc}", file=sys.stderr)
            return 1

    return run


async def _on_database(settings: Settings, action: Action, args: argparse.Namespace) -> int:
    require_shared_database(settings)
    await prepare_database(settings)
    database = database_of(settings)
    try:
        return await action(database, args)
    finally:
        await database.dispose()


async def _create_tenant(database: AsyncEngine, args: argparse.Namespace) -> int:
    await create_tenant(database, args.name)
    print(f"created tenant {args.name}")
    return 0


async def _list_tenants(database: AsyncEngine, args: argparse.Namespace) -> int:
    for tenant in await list_tenants(database):  # an admin had to know them, or read the database
        print(tenant)
    return 0


async def _create_key(database: AsyncEngine, args: argparse.Namespace) -> int:
    info, key = await create_key(database, args.tenant, args.role)
    # The key alone on the last line, so `convoflow key create ... | tail -1` is the key.
    print(f"key_id {info.key_id}\n{key}")
    print(
        f"created key {info.key_id} ({info.role}) for tenant {info.tenant}: store the key now, "
        "it is not shown again",
        file=sys.stderr,
    )
    return 0


async def _list_keys(database: AsyncEngine, args: argparse.Namespace) -> int:
    if args.tenant is not None:
        await require_tenant(database, args.tenant)
    print(f"{'KEY_ID':<20} {'TENANT':<20} {'ROLE':<12} {'CREATED':<26} REVOKED")
    for info in await list_keys(database, args.tenant):
        revoked = info.revoked_at.isoformat(timespec="seconds") if info.revoked_at else "-"
        created = info.created_at.isoformat(timespec="seconds")
        print(f"{info.key_id:<20} {info.tenant:<20} {info.role:<12} {created:<26} {revoked}")
    return 0


async def _revoke_key(database: AsyncEngine, args: argparse.Namespace) -> int:
    if not await revoke_key(database, args.key_id):
        print(f"convoflow: no active key {args.key_id!r}", file=sys.stderr)
        return 1
    print(f"revoked key {args.key_id}")
    return 0


async def _tenant_limits(database: AsyncEngine, args: argparse.Namespace) -> int:
    """Merge the given limits into the tenant's own (after --reset: into none), print them as JSON."""
    changes = TenantLimits.model_validate({f: getattr(args, f) for f in LIMIT_FIELDS})
    await require_tenant(database, args.name)
    current = await limits_of(database, args.name)
    if args.reset or changes != TenantLimits():
        current = (TenantLimits() if args.reset or current is None else current).merged(changes)
        await set_limits(database, args.name, current)
    print(json.dumps((current or TenantLimits()).model_dump(exclude_none=True), sort_keys=True))
    print("limits not shown use the deployment's (CONVOFLOW_RATE_LIMIT_...)", file=sys.stderr)
    return 0


def _keep_days(given: str) -> int | None:
    """`--retention-days`: days, or `off` (None)."""
    if given == "off":
        return None
    try:
        days = int(given)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_KEEP_DAYS:
        raise ValueError(f"--retention-days: a whole number of days from 1 to {MAX_KEEP_DAYS}, or off")
    return days


async def _tenant_set(database: AsyncEngine, args: argparse.Namespace) -> int:
    """Change the settings given (each change recorded with who and when), print them and the history."""
    keep = args.retention_days is not None
    days = _keep_days(args.retention_days) if keep else None  # refused before anything changes
    if args.require_approval is not None:
        await set_require_approval(database, args.name, args.require_approval == "on", changed_by=cli_user())
    if keep:
        await set_keep_days(database, args.name, days, changed_by=cli_user())
    settings = await settings_of(database, args.name)
    retention = await retention_of(database, args.name)
    print(f"require_approval {'on' if settings.require_approval else 'off'}")
    print(f"retention_days   {retention.keep_days or 'off (kept for ever)'}")
    if retention.keep_days is not None:
        print(f"  next sweep  {retention.next_sweep_at}")
    if (last := retention.last_sweep) is not None:
        print(f"  last sweep  {last.began_at}: {_sweep_line(last)}")
    for change in settings.changes:
        print(f"  {change.changed_at}  {change.setting} = {json.dumps(change.value)}  by {change.changed_by}")
    return 0


def _sweep_line(last: LastSweep) -> str:
    if last.ended_at is None:
        return "running (or its worker stopped: another takes it over when its claim lapses)"
    if last.error is not None:
        return f"failed: {last.error}"
    said = f"{last.deleted} deleted, {last.refused} refused to end"
    return said + (f" (record {last.erasure_id})" if last.erasure_id else "")
