"""`convoflow audit explain|whatif|export-events`: why a conversation went as it did, and what if.

- explain: every effect the rules decided, with its event, rule, values read, condition, pack hash,
  time and idempotency key (engine/audit/explain.py).
- whatif: the recorded events re-decided by another pack, event by event (engine/audit/whatif.py).
- export-events: recorded conversations as the JSON lines `rules simulate` / `rules diff` read.

Contexts come from replaying the conversation's histories in this process; the trail and state from
the workflow's query, so a worker must be running (`convoflow up`). Exit codes: 0 fine (whatif: no
decision would change), 1 whatif: some decision would change, 2 bad input (no such conversation, an
invalid pack or date), 3 Temporal or the database could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.service import RPCError

from engine.audit.explain import explain, render_text
from engine.audit.whatif import escalations, timing_caveats, to_recorded, whatif
from engine.audit.whatif import render_text as render_whatif
from engine.cli.command import DEFAULT_TENANT, CommandFailed
from engine.cli.rules import load_pack
from engine.cli.tenants import TENANT_HELP
from engine.private_files import write_private
from engine.rules.decision import CompiledPack
from engine.rules.pack import RulePack
from engine.service.audit_bundle import run_ids, whole_trail
from engine.service.audit_capture import ReplayFailed, captured_decisions
from engine.service.audit_explain import (
    UnknownConversation,
    connect_cli,
    conversation_state,
    conversations_since,
    known_conversation,
    packs_by_hash,
)
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database
from engine.service.payload_keys import KeyringError

Command = Callable[[Settings, Client, argparse.Namespace], Awaitable[int]]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("explain", help="every effect the rules decided, and why")
    p.add_argument("conversation", help="the conversation id (as the API names it)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _tenant(p)
    p.set_defaults(func=_run(_explain))
    p = commands.add_parser("whatif", help="what another pack would have done with the recorded events")
    p.add_argument("conversation")
    p.add_argument("--pack", required=True, help="the candidate pack: a folder, a file or a published hash")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _tenant(p)
    p.set_defaults(func=_run(_whatif))
    p = commands.add_parser(
        "export-events", help="recorded conversations as input for `rules simulate` and `rules diff`"
    )
    p.add_argument("conversations", nargs="*", metavar="CONVERSATION")
    p.add_argument("--all", action="store_true", help="every conversation with activity since --since")
    p.add_argument(
        "--since",
        type=_date,
        help="with --all: a date or instant (ISO 8601, UTC if no zone), compared from its minute",
    )
    p.add_argument("--output", type=Path, required=True, help="the JSON-lines file to write")
    _tenant(p)
    p.set_defaults(func=_run(_export_events))


def _tenant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", default=DEFAULT_TENANT, help=f"{TENANT_HELP} (default {DEFAULT_TENANT})")


def _date(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a date like 2026-11-30 or an ISO 8601 instant") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _run(command: Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(_connected(command, args))
        except CommandFailed as exc:
            for line in exc.lines:
                print(line, file=sys.stderr)
            return exc.code
        except (UnknownConversation, ValueError, ValidationError) as exc:
            print(f"convoflow audit: {exc}", file=sys.stderr)
            return 2
        except ReplayFailed as exc:
            print(f"convoflow audit: {exc}", file=sys.stderr)
            return 3
        except (RPCError, RuntimeError, OSError, SQLAlchemyError) as exc:
            # The type only: an RPC error's text may quote a payload.
            print(
                f"convoflow audit: Temporal or the database could not be read ({type(exc).__name__})",
                file=sys.stderr,
            )
            return 3

    return run


async def _connected(command: Command, args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        client = await connect_cli(settings)
    except KeyringError as exc:
        raise ValueError(str(exc)) from None
    return await command(settings, client, args)


async def _published(settings: Settings, hashes: list[str]) -> dict[str, RulePack]:
    """The published packs among `hashes`, read from the configured database."""
    await prepare_database(settings)
    database = database_of(settings)
    try:
        return await packs_by_hash(database, hashes)
    finally:
        await database.dispose()


async def _explain(settings: Settings, client: Client, args: argparse.Namespace) -> int:
    state = await conversation_state(client, args.tenant, args.conversation)
    # Every run's trail: the state holds the latest run's, and a conversation that continued as new
    # was said to have "no effects" where its first acknowledgement went out.
    runs = await run_ids(client, state.conversation_id)
    trail, notes = await whole_trail(client, state.conversation_id, runs)
    hashes = [e.decision["pack_hash"] for e in trail if e.decision and e.decision.get("pack_hash")]
    rows = explain(state, trail, await _published(settings, hashes))
    if args.json:
        body = {
            "conversation": args.conversation,
            "workflow_id": state.conversation_id,
            "runs": len(runs),
            "notes": notes,
            "effects": [row.model_dump(mode="json") for row in rows],
        }
        print(json.dumps(body, ensure_ascii=False, indent=1))
    else:
        print(render_text(args.conversation, rows), end="")
        for note in notes:
            print(f"note: {note}")
    return 0


async def _whatif(settings: Settings, client: Client, args: argparse.Namespace) -> int:
    # A hash reads the database on its own loop, among the tenant's versions only.
    pack = await asyncio.to_thread(partial(load_pack, args.pack, args.tenant, tenant_s_own=True))
    workflow_id = await known_conversation(client, args.tenant, args.conversation)
    captured = await captured_decisions(client, workflow_id)
    trail, _ = await whole_trail(client, workflow_id, await run_ids(client, workflow_id))
    rows = whatif(captured, CompiledPack(pack)) + escalations(trail, captured, pack)
    rows.sort(key=lambda row: row.seq if row.seq is not None else -1)
    recorded = await _published(settings, [c.pack_hash for c in captured if c.pack_hash])
    caveats = timing_caveats(recorded, pack)
    if args.json:
        body = {
            "conversation": args.conversation,
            "pack_hash": pack.content_hash,
            "caveats": caveats,
            "events": [{**row.model_dump(mode="json"), "changed": row.changed} for row in rows],
        }
        print(json.dumps(body, ensure_ascii=False, indent=1))
    else:
        # Both packs by hash: a copied candidate has the recorded one's name and version.
        ran = ", ".join(sorted({c.pack_hash[:12] for c in captured if c.pack_hash})) or "no pack"
        label = (
            f"candidate {pack.meta.name} {pack.meta.version} ({pack.content_hash[:12]}), recorded on {ran}"
        )
        print(render_whatif(args.conversation, label, rows, caveats), end="")
    return 1 if any(row.changed for row in rows) else 0


async def _export_events(settings: Settings, client: Client, args: argparse.Namespace) -> int:
    if args.all == bool(args.conversations):
        raise ValueError("name the conversations, or give --all --since DATE")
    if args.all and args.since is None:
        raise ValueError("--all needs --since DATE")
    ids = args.conversations or await conversations_since(client, args.tenant, args.since)
    lines, events = [], 0
    for conversation in ids:
        workflow_id = await known_conversation(client, args.tenant, conversation)
        recorded = to_recorded(conversation, await captured_decisions(client, workflow_id))
        events += len(recorded.events)
        lines.append(recorded.model_dump_json() + "\n")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_private(args.output, "".join(lines).encode())
    print(f"wrote {len(lines)} conversation(s), {events} event(s) to {args.output}")
    return 0
