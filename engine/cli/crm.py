"""`convoflow crm import FILE.csv --tenant T`: seed the local CRM (in the control-plane database).

Columns id, email, phone, external_id, name, first_name, tier, lifetime_value, language are fields;
any other column becomes a custom field rules can read as `customer.custom.<column>`. An import is
one transaction: a bad line leaves the CRM as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from activities.crm import LocalCrm
from engine.db.connection import SchemaError
from engine.db.keys import require_tenant
from engine.db.url import DatabaseUrlError
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database, require_shared_database


def cmd_import(args: argparse.Namespace) -> int:
    try:
        count = asyncio.run(_import(Settings(), args.tenant, args.file))
    except (OSError, ValueError, UnicodeDecodeError, ValidationError) as exc:
        print(f"convoflow crm: {exc}", file=sys.stderr)
        return 2
    except (SchemaError, DatabaseUrlError, SQLAlchemyError) as exc:
        print(f"convoflow crm: database: {exc}", file=sys.stderr)
        return 1
    print(f"imported {count} customers for tenant {args.tenant}")
    return 0


async def _import(settings: Settings, tenant: str, path: Path) -> int:
    require_shared_database(settings)
    await prepare_database(settings)
    database = database_of(settings)
    try:
        await require_tenant(database, tenant)
        return await LocalCrm(database).import_csv(tenant, path)
    finally:
        await database.dispose()


def add_parser(sub: argparse._SubParsersAction) -> None:
    crm = sub.add_parser("crm", help="the local CRM")
    cmds = crm.add_subparsers(dest="crm_command", required=True, metavar="COMMAND")
    p = cmds.add_parser("import", help="import customers from a CSV file")
    p.add_argument("file", type=Path)
    p.add_argument("--tenant", required=True)
    p.set_defaults(func=cmd_import)
