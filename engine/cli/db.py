"""`convoflow db upgrade|current`: the control-plane database's schema.

`convoflow up` upgrades by itself; a cluster runs `convoflow db upgrade` once per release, before
starting workers and API replicas of the new version.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from engine.db.connection import SchemaError, code_heads, current_revisions, open_engine, upgrade
from engine.db.url import DatabaseUrlError, redacted
from engine.service.config import Settings, settings_problems
from engine.service.data_import import import_data_dir
from engine.service.database import NoSharedDatabase, prepare_database, require_shared_database


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


async def _upgrade(url: str) -> str:
    engine = open_engine(url)
    try:
        await upgrade(engine)
        return f"{redacted(url)}: schema at {', '.join(sorted(await current_revisions(engine)))}"
    finally:
        await engine.dispose()


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
    except (ValidationError, DatabaseUrlError, SchemaError) as exc:
        print(f"convoflow db: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"convoflow db: cannot reach the database: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # no such database or role, a refused password: one line, no traceback
        print(f"convoflow db: the database refused: {_first_line(exc)}", file=sys.stderr)
        return 1
    return 0


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's own words (`database "x" does not exist`), without SQLAlchemy's link or the SQL."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]
