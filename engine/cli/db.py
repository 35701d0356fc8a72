"""`convoflow db upgrade|current|import|payload-keys|forget-payload-key|forget-audit-key`: the
control-plane database.

`convoflow up` upgrades by itself; a cluster runs `convoflow db upgrade` once per release, before
starting workers and API replicas of the new version. `payload-keys` lists the payload key ids the
cluster has used (engine/db/key_fingerprints.py) and whether this shell's keys match each;
`forget-payload-key` forgets one, when the first part to use it had the wrong key;
`forget-audit-key` forgets the audit key's fingerprint (engine/db/audit_key_record.py), to change the
key on purpose or mend a first part that had the wrong one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.audit_key_record import forget_audit_key
from engine.db.connection import (
    SchemaError,
    check_current,
    code_heads,
    current_revisions,
    first_line,
    open_engine,
    upgrade,
)
from engine.db.key_fingerprints import forget_key, recorded_keys
from engine.db.url import DatabaseUrlError, redacted
from engine.service.config import Settings
from engine.service.data_import import import_data_dir
from engine.service.database import NoSharedDatabase, prepare_database, require_shared_database
from engine.service.payload_keys import KeyringError, keyring_of
from engine.service.settings_problems import settings_problems


def add_parser(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="the control-plane database (CONVOFLOW_DATABASE_URL)")
    commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    commands.add_parser("upgrade", help="apply the migrations this convoflow has").set_defaults(
        func=run_upgrade
    )
    commands.add_parser("current", help="print the schema revision of the database").set_defaults(
        func=run_current
    )
    moving = commands.add_parser(
        "import", help="move a data directory's packs, ledger, CRM and outbox files into the database"
    )
    moving.add_argument("--data-dir", type=Path, help="the directory to read (default: CONVOFLOW_DATA_DIR)")
    moving.add_argument("--tenant", default="dev", help="tenant the packs belong to (default: dev)")
    moving.set_defaults(func=run_import)
    commands.add_parser(
        "payload-keys", help="the payload key ids the cluster has used, and whether this shell's keys match"
    ).set_defaults(func=run_payload_keys)
    forget = commands.add_parser(
        "forget-payload-key",
        help="forget a key id's recorded fingerprint (the first part to use it had the wrong key)",
    )
    forget.add_argument("key_id", metavar="KEY_ID")
    forget.set_defaults(func=run_forget_payload_key)
    commands.add_parser(
        "forget-audit-key",
        help="forget the audit key's recorded fingerprint (to change CONVOFLOW_AUDIT_KEY on purpose)",
    ).set_defaults(func=run_forget_audit_key)


def run_upgrade(args: argparse.Namespace) -> int:
    return _run(_upgrade)


def run_current(args: argparse.Namespace) -> int:
    return _run(_current)


def run_import(args: argparse.Namespace) -> int:
    async def move(url: str) -> str:
        settings = Settings()
        await prepare_database(settings)
        engine = open_engine(url)
        try:
            added = await import_data_dir(engine, args.data_dir or settings.data_dir, args.tenant)
        finally:
            await engine.dispose()
        return "imported (new rows): " + ", ".join(f"{kind} {count}" for kind, count in added.items())

    return _run(move)


def run_payload_keys(args: argparse.Namespace) -> int:
    return _run(_payload_keys)


def run_forget_payload_key(args: argparse.Namespace) -> int:
    async def forget(url: str) -> str:
        engine = await _opened_on_this_schema(url)
        try:
            # The shell's own key the same as the recorded one: that id's record is not the mistake.
            mine = _shell_fingerprints() or {}
            recorded = {key.key_id: key.fingerprint for key in await recorded_keys(engine)}
            if args.key_id in mine and mine[args.key_id] == recorded.get(args.key_id):
                raise NotThere(
                    f"payload key id {args.key_id}'s recorded key is the one this shell holds: "
                    "nothing to mend (forget it only when the cluster's parts hold another key)"
                )
            found = await forget_key(engine, args.key_id)
        finally:
            await engine.dispose()
        if not found:
            raise NotThere(f"no fingerprint is recorded for payload key id {args.key_id!r}")
        return (
            f"forgot payload key id {args.key_id}'s fingerprint: the next part to start with it "
            "records its key"
        )

    return _run(forget)


def run_forget_audit_key(args: argparse.Namespace) -> int:
    async def forget(url: str) -> str:
        engine = await _opened_on_this_schema(url)
        try:
            found = await forget_audit_key(engine)
        finally:
            await engine.dispose()
        if not found:
            raise NotThere("no audit key fingerprint is recorded: the next part to start records its key")
        return (
            "forgot the audit key's fingerprint: the next API to start records its CONVOFLOW_AUDIT_KEY, "
            "and parts with another are refused from then on"
        )

    return _run(forget)


def _shell_fingerprints() -> dict[str, str] | None:
    """This shell's key ids and fingerprints (CONVOFLOW_PAYLOAD_KEYS); None when it has none."""
    try:
        keyring = keyring_of(Settings())
    except KeyringError:
        return None
    return keyring.fingerprints() if keyring else {}


async def _payload_keys(url: str) -> str:
    here = _shell_fingerprints()  # None: no keys in this shell, the ids are listed all the same
    engine = await _opened_on_this_schema(url)
    try:
        recorded = await recorded_keys(engine)
    finally:
        await engine.dispose()
    if not recorded:
        return "no payload key id recorded yet: the first part to start with each records it"
    rows = [("KEY ID", "FIRST USED (UTC)", "THIS SHELL'S KEYS")]
    for key in recorded:
        if here is None:
            mine = "-"
        elif key.key_id not in here:
            mine = "not listed"
        else:
            mine = "same key" if here[key.key_id] == key.fingerprint else "ANOTHER KEY: refused at start"
        rows.append((key.key_id, f"{key.first_seen_at:%Y-%m-%d %H:%M}", mine))
    width = max(len(row[0]) for row in rows)
    return "\n".join(f"{a:<{width}}  {b:<16}  {c}" for a, b, c in rows)


async def _opened_on_this_schema(url: str) -> AsyncEngine:
    """The database the cluster's parts use, on this convoflow's schema: a shell with no settings
    made `./data/convoflow.sqlite` and answered "no such table", and a newer schema was read."""
    found = make_url(url)
    sqlite = found.get_backend_name() == "sqlite"
    if sqlite and not await asyncio.to_thread(Path(found.database or "").exists):
        raise NotThere(
            f"no database at {found.database}: run this with the settings of the service's parts "
            "(CONVOFLOW_DATABASE_URL, or the CONVOFLOW_DATA_DIR of `convoflow up`)"
        )
    engine = open_engine(url)
    try:
        await check_current(engine, url)
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def _upgrade(url: str) -> str:
    engine = open_engine(url)
    try:
        await upgrade(engine)
        return f"{redacted(url)}: schema at {', '.join(sorted(await current_revisions(engine)))}"
    finally:
        await engine.dispose()


class NotThere(Exception):
    """What the command names is not in the database: said on stderr, exit 1."""


class Behind(Exception):
    """`db current` of a schema other than this convoflow's (behind it, or migrated by a newer
    release): said on stdout, exit 1 (a deploy's gate)."""


async def _current(url: str) -> str:
    engine = open_engine(url)
    try:
        current = await current_revisions(engine)
        found = sorted(current) or ["none (run `convoflow db upgrade`)"]
        known = ", ".join(sorted(code_heads()))
        said = f"{redacted(url)}: schema at {', '.join(found)}; this convoflow has {known}"
        if current != code_heads():
            raise Behind(said)
        return said
    finally:
        await engine.dispose()


def _run(command: Callable[[str], Coroutine[Any, Any, str]]) -> int:
    try:
        settings = Settings()
        require_shared_database(settings)  # a cluster's: not a SQLite file of this directory
        url = settings.database
    except ValidationError as exc:  # its own words: pydantic's would echo the value
        print(f"convoflow db: bad setting: {settings_problems(exc)}", file=sys.stderr)
        return 2
    except NoSharedDatabase as exc:
        print(f"convoflow db: {exc}", file=sys.stderr)
        return 2
    try:
        print(asyncio.run(command(url)))
    except Behind as exc:
        print(exc)
        return 1
    except NotThere as exc:
        print(f"convoflow db: {exc}", file=sys.stderr)
        return 1
    except (ValidationError, DatabaseUrlError, SchemaError) as exc:
        print(f"convoflow db: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"convoflow db: cannot reach the database: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # no such database or role, a refused password: one line, no traceback
        print(f"convoflow db: the database refused: {first_line(exc)}", file=sys.stderr)
        return 1
    return 0
