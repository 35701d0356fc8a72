"""`convoflow db upgrade|current`: the control-plane database's schema.

`convoflow up` upgrades by itself; a cluster runs `convoflow db upgrade` once per release, before
starting workers and API replicas of the new version.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import ValidationError

from engine.db.connection import SchemaError, code_heads, current_revisions, open_engine, upgrade
from engine.db.url import DatabaseUrlError, redacted
from engine.service.config import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="the control-plane database (CONVOFLOW_DATABASE_URL)")
    commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    commands.add_parser("upgrade", help="apply the migrations this convoflow has").set_defaults(
        func=run_upgrade
    )
    commands.add_parser("current", help="print the schema revision of the database").set_defaults(
        func=run_current
    )


def run_upgrade(args: argparse.Namespace) -> int:
    return _run(_upgrade)


def run_current(args: argparse.Namespace) -> int:
    return _run(_current)


async def _upgrade(url: str) -> str:
    engine = open_engine(url)
    try:
        await upgrade(engine)
        return f"{redacted(url)}: schema at {', '.join(sorted(await current_revisions(engine)))}"
    finally:
        await engine.dispose()


async def _current(url: str) -> str:
    engine = open_engine(url)
    try:
        found = sorted(await current_revisions(engine)) or ["none (run `convoflow db upgrade`)"]
        known = ", ".join(sorted(code_heads()))
        return f"{redacted(url)}: schema at {', '.join(found)}; this convoflow has {known}"
    finally:
        await engine.dispose()


def _run(command: Callable[[str], Coroutine[Any, Any, str]]) -> int:
    try:
        url = Settings().database
        print(asyncio.run(command(url)))
    except (ValidationError, DatabaseUrlError, SchemaError) as exc:
        print(f"convoflow db: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"convoflow db: cannot reach the database: {exc}", file=sys.stderr)
        return 1
    return 0
