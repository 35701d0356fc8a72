"""`convoflow customer find|erase|erasures|index`: a data subject's requests, for a privacy officer.

- `find --address A [--address B]` lists the customer's conversations, local CRM contacts and held
  quarantined mail (an address in any written form: an email in any case, a number with or without
  `+`, spaces or a trunk 0).
- `erase --address A ... --yes` removes them from Temporal and the database (engine/service/
  customer_requests.py) and prints the erasure's record; `--actor` names who asked.
- `export --address A ... [--output FILE]` writes everything of theirs (what they wrote, what agents
  replied, survey answers, what was sent, each conversation as it stands, CRM contacts) as JSON: the
  right of access's answer (a file is written mode 0600).
- `erasures` lists the tenant's erasures (no address: digests and conversation ids).
- `index` fills the customer index from the conversations Temporal holds: once after upgrading to
  the release that has it (conversations begun before were not indexed), or after a crash.

Exit codes: 0 done, 1 Temporal or the database failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.service import RPCError

from engine.cli.quarantine import quarantine_store
from engine.cli.tenants import TENANT_HELP, _command
from engine.db.erasure import erasures_of
from engine.db.keys import require_tenant
from engine.private_files import write_private
from engine.service import customer_export, customer_requests
from engine.service.config import Settings
from engine.service.embedded_service import NotThisService, temporal_address
from engine.service.payload_keys import KeyringError
from engine.service.temporal_client import connect_checked

TEMPORAL_SECONDS = 30.0
NOTE_SECONDS = 5.0  # how long whether the index is complete is asked of Temporal


def add_parser(sub: argparse._SubParsersAction) -> None:
    customer = sub.add_parser("customer", help="a data subject's requests: find and erase a customer's data")
    commands = customer.add_subparsers(dest="customer_command", required=True, metavar="COMMAND")
    p = commands.add_parser("find", help="the customer's conversations, CRM contacts and held mail")
    _addresses(p)
    p.set_defaults(func=_command(_find))
    p = commands.add_parser("export", help="everything of the customer, as JSON (right of access)")
    _addresses(p)
    p.add_argument("--output", type=Path, help="write it to this file (mode 0600) instead of stdout")
    p.set_defaults(func=_command(_export))
    p = commands.add_parser("erase", help="erase everything of the customer (Temporal and database)")
    _addresses(p)
    p.add_argument("--actor", help="who asked (kept on the erasure's record)")
    p.add_argument("--yes", action="store_true", help="really erase: nothing can bring it back")
    p.set_defaults(func=_command(_erase))
    p = commands.add_parser("erasures", help="the tenant's erasures, newest first")
    p.add_argument("--tenant", required=True, help=TENANT_HELP)
    p.set_defaults(func=_command(_erasures))
    p = commands.add_parser("index", help="index the conversations begun before there was an index")
    p.add_argument("--tenant", required=True, help=TENANT_HELP)
    p.set_defaults(func=_command(_index))


def _addresses(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant", required=True, help=TENANT_HELP)
    p.add_argument(
        "--address",
        action="append",
        required=True,
        help="an email address, phone number or chat handle of the customer (repeat for each)",
    )


async def _find(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    found = await _found(database, args)
    print(as_json(found.shown()))
    return 0


async def _found(database: AsyncEngine, args: argparse.Namespace) -> customer_requests.CustomerRecords:
    """The customer's records, with what the operator should know about the search said on stderr."""
    for note in await _notes(database, args):
        print(f"convoflow: {note}", file=sys.stderr)
    return await customer_requests.find(database, quarantine_store(database), args.tenant, args.address)


async def _notes(database: AsyncEngine, args: argparse.Namespace) -> list[str]:
    notes = customer_requests.address_notes(args.address)
    try:
        async with asyncio.timeout(NOTE_SECONDS):  # `find` reads the database alone: not kept waiting
            client = await temporal_client(Settings())
            index = await customer_requests.index_note(client, database, args.tenant)
    except (RPCError, TimeoutError, NotThisService, KeyringError):
        index = "Temporal did not answer: whether conversations begun before the index exist is unknown"
    return [*notes, index] if index else notes


async def _export(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    found = await _found(database, args)
    try:
        client = await temporal_client(Settings())
        document = await customer_export.export(
            client, database, quarantine_store(database), args.tenant, found, args.address
        )
    except (RPCError, TimeoutError, NotThisService, KeyringError) as exc:
        print(f"convoflow: not exported: Temporal: {failure_reason(exc)}; run it again", file=sys.stderr)
        return 1
    text = as_json(document) + "\n"
    if args.output is None:
        print(text, end="")
        return 0
    write_private(args.output, text.encode())
    count = len(document["conversations"])
    print(f"{count} conversation(s) of the customer written to {args.output}", file=sys.stderr)
    return 0


async def _erase(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    if not args.yes:
        found = await _found(database, args)
        print(as_json(found.shown()))
        held = found.conversations or found.contacts or found.quarantined
        what = "this is what would be; add --yes to erase it" if held else "nothing of this customer is held"
        print(f"convoflow: nothing erased: {what}", file=sys.stderr)
        return 2
    customer_requests.national_numbers(args.address)  # a ValueError: exit 2, nothing erased
    settings = Settings()
    try:
        client = await temporal_client(settings)
    except (RPCError, TimeoutError, NotThisService, KeyringError) as exc:
        print(f"convoflow: nothing erased: Temporal: {failure_reason(exc)}", file=sys.stderr)
        return 1
    notes = await _notes(database, args)
    try:
        record = await customer_requests.erase(
            client,
            database,
            quarantine_store(database),
            settings,
            args.tenant,
            args.address,
            args.actor,
            notes,
        )
    except customer_requests.ErasureBlocked as exc:
        print(
            f"convoflow: nothing erased: {exc}; start the worker (`convoflow up`), then run it again",
            file=sys.stderr,
        )
        return 1
    except (RPCError, TimeoutError) as exc:
        print(
            f"convoflow: the erasure did not finish (Temporal: {failure_reason(exc)}): run it again, it "
            "goes on from where it stopped",
            file=sys.stderr,
        )
        return 1
    print(as_json(record))
    if record.get("began_again"):
        print(
            "convoflow: a message began these again while they were erased (began_again): run the "
            "erasure again to erase them too",
            file=sys.stderr,
        )
    if record.get("written_into_others"):
        print(
            "convoflow: the customer also wrote into conversations of other customers (listed as "
            "written_into_others): those are theirs, not erased",
            file=sys.stderr,
        )
    return 0


async def _erasures(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    records = await erasures_of(database, args.tenant)
    for record in records:
        print(as_json(record, indent=None))
    if not records:
        print(f"no erasures in tenant {args.tenant}", file=sys.stderr)
    return 0


async def _index(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    try:
        client = await temporal_client(Settings())
        count, unanswered = await customer_requests.index(client, database, args.tenant)
    except (RPCError, TimeoutError, NotThisService, KeyringError) as exc:
        print(f"convoflow: index incomplete: Temporal: {failure_reason(exc)}; run it again", file=sys.stderr)
        return 1
    print(f"{count} conversation(s) of tenant {args.tenant} read into the index")
    if unanswered:
        print(
            f"convoflow: {len(unanswered)} did not answer (no worker?): {' '.join(unanswered[:20])}; "
            "run it again",
            file=sys.stderr,
        )
        return 1
    return 0


async def temporal_client(settings: Settings) -> Client:
    async with asyncio.timeout(TEMPORAL_SECONDS):
        return await connect_checked(settings, temporal_address(settings), part=False)


def failure_reason(exc: BaseException) -> str:
    shown = NotThisService | KeyringError | RPCError | RuntimeError  # their messages name no customer
    return str(exc) if isinstance(exc, shown) else type(exc).__name__


def as_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, default=_plain, ensure_ascii=False, indent=indent)


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
