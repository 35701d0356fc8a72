"""`convoflow crm import FILE.csv --tenant T`: seed the local CRM (SQLite in the data dir).

Columns id, email, phone, external_id, name, first_name, tier, lifetime_value, language are fields;
any other column becomes a custom field rules can read as `customer.custom.<column>`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from activities.crm import LocalCrm
from engine.service.config import Settings


def cmd_import(args: argparse.Namespace) -> int:
    crm = LocalCrm(Settings().data_dir / "crm.sqlite")
    try:
        count = crm.import_csv(args.tenant, args.file)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        print(f"convoflow crm: {exc}", file=sys.stderr)
        return 2
    print(f"imported {count} customers for tenant {args.tenant}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    crm = sub.add_parser("crm", help="the local CRM")
    cmds = crm.add_subparsers(dest="crm_command", required=True, metavar="COMMAND")
    p = cmds.add_parser("import", help="import customers from a CSV file")
    p.add_argument("file", type=Path)
    p.add_argument("--tenant", required=True)
    p.set_defaults(func=cmd_import)
