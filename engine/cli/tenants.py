"""`convoflow tenant create NAME` and `convoflow key create|list|revoke`: tenants and API keys.

They write to the control-plane database the API reads keys from, so a key works (and a revoked key
stops working) without restarting anything. A new key is printed once, on stdout, and nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.connection import SchemaError
from engine.db.keys import ROLES, create_key, create_tenant, list_keys, revoke_key
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database

TENANT_HELP = "tenant id: letters, digits, `.`, `_`, `-`, at most 64, starting with a letter or digit"


def add_parser(sub: argparse._SubParsersAction) -> None:
    tenants = sub.add_parser("tenant", aliases=["tenants"], help="tenants of this deployment")
    commands = tenants.add_subparsers(dest="tenants_command", required=True, metavar="COMMAND")
    p = commands.add_parser("create", help="create a tenant")
    p.add_argument("name", help=TENANT_HELP)
    p.set_defaults(func=_command(_create_tenant))

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
            return asyncio.run(_on_database(Settings(), action, args))
        except (ValueError, ValidationError) as exc:
            print(f"convoflow: {exc}", file=sys.stderr)
            return 2
        except (SchemaError, SQLAlchemyError, OSError) as exc:
            print(f"convoflow: database: {exc}", file=sys.stderr)
            return 1

    return run


async def _on_database(settings: Settings, action: Action, args: argparse.Namespace) -> int:
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
