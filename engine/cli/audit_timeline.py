"""`convoflow audit timeline CONVERSATION --html FILE`: the timeline page as a static file.

The same page `GET /v1/conversations/{id}/timeline` serves to auditors (engine/service/audit_timeline.py),
written to a file that opens offline: inline CSS and SVG, no script, nothing fetched. Exit codes: 0
written, 1 Temporal or the database failed, 2 bad input (no such conversation, a file that cannot be
written).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.service import RPCError, RPCStatusCode

from engine.cli.command import DEFAULT_TENANT
from engine.cli.tenants import TENANT_HELP, _command
from engine.contracts.ids import is_safe_id
from engine.private_files import write_private
from engine.service.audit_explain import connect_cli
from engine.service.audit_timeline import read_state, render, timeline_of
from engine.service.config import Settings
from engine.service.payload_keys import KeyringError

# How long the command waits for Temporal before it gives up.
TEMPORAL_SECONDS = 15.0


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "timeline",
        help="a conversation's timeline page (SLA clocks, pauses, breaches, decisions) as an HTML file",
    )
    p.add_argument("conversation", help="the conversation id (as the channel or integrator gave it)")
    p.add_argument("--tenant", default=DEFAULT_TENANT, help=f"{TENANT_HELP} (default {DEFAULT_TENANT})")
    p.add_argument("--html", required=True, type=Path, metavar="FILE", help="where to write the page")
    p.set_defaults(func=_command(_timeline))


async def _timeline(database: AsyncEngine, args: argparse.Namespace) -> int:
    if not is_safe_id(args.conversation):
        print(f"convoflow: conversation {args.conversation!r}: not a conversation id", file=sys.stderr)
        return 2
    settings = Settings()
    try:
        async with asyncio.timeout(TEMPORAL_SECONDS):
            client = await connect_cli(settings)
            state = await read_state(client, args.tenant, args.conversation)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # bad input, as `audit explain` says it
            print(
                f"convoflow: no conversation {args.conversation!r} in tenant {args.tenant}", file=sys.stderr
            )
            return 2
        print(f"convoflow: Temporal: {exc.message}", file=sys.stderr)
        return 1
    except (RuntimeError, OSError, TimeoutError, KeyringError) as exc:
        print(f"convoflow: Temporal could not be reached ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    timeline = await timeline_of(state, database, now=datetime.now(UTC))
    try:
        write_private(args.html, render(timeline).encode())
    except OSError as exc:  # the page's path, not the database the caller's handler would name
        print(f"convoflow: --html {args.html}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    breaches = sum(1 for clock in timeline.clocks if clock.outcome == "breached")
    print(
        f"wrote {args.html}: conversation {args.conversation}, {len(timeline.rows)} events, "
        f"{len(timeline.clocks)} SLA clock(s), {breaches} breached"
    )
    return 0
