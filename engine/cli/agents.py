"""`convoflow agents add|list|presence|remove`: a tenant's roster from the shell, as the API manages it.

The same checks as `POST /v1/agents` (engine/service/roster_rules.py: teams and skills of the tenant's
active pack, known channels, capacity 0-1000), the same table, and the same signal to the tenant's
assignment desk after each write. When Temporal cannot be reached the write still stands (the roster
lives in the database) and a warning says so: running conversations learn it when the desk next reads
the roster. Exit codes: 0 done, 1 no such agent or the database failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import get_args

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.service import RPCError

from engine.cli.command import DEFAULT_TENANT
from engine.cli.tenants import TENANT_HELP, _command
from engine.contracts.assignment import Presence
from engine.db.keys import require_tenant
from engine.db.roster import RosterStore
from engine.service import desk_client
from engine.service.config import Settings
from engine.service.embedded_service import NotThisService, temporal_address
from engine.service.payload_keys import KeyringError
from engine.service.roster_rules import (
    CHANNELS,
    AgentInput,
    InvalidAgent,
    active_pack,
    checked_agent,
    shown_capacity,
)
from engine.service.temporal_client import connect_checked

# How long a roster write waits for Temporal before it warns and leaves the news to the desk's next read.
TEMPORAL_SECONDS = 10.0


def capacity_arg(text: str) -> int | dict[str, int]:
    """`5` (all channels together) or `email=5,chat=2` (per channel)."""
    if "=" not in text:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: a number, or channel=number,... (email=5,chat=2)"
            ) from None
    per_channel: dict[str, int] = {}
    for part in text.split(","):
        channel, _, count = part.partition("=")
        try:
            per_channel[channel.strip()] = int(count)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r}: channel=number, e.g. email=5") from None
    return per_channel


def _names(text: str) -> list[str]:
    """`--team a,b` and `--team a --team b` alike."""
    return [name.strip() for name in text.split(",") if name.strip()]


def add_parser(sub: argparse._SubParsersAction) -> None:
    agents = sub.add_parser("agents", aliases=["agent"], help="a tenant's agents: roster and presence")
    commands = agents.add_subparsers(dest="agents_command", required=True, metavar="COMMAND")
    p = commands.add_parser("add", help="create an agent, or replace its definition (its presence stays)")
    p.add_argument("id", help="agent id: letters, digits, `.`, `_`, `-`, starting with a letter or digit")
    p.add_argument("--name", required=True)
    p.add_argument(
        "--team",
        dest="teams",
        type=_names,
        action="extend",
        default=[],
        metavar="TEAM",
        help="a team of the tenant's active rule pack (repeatable, or comma-separated)",
    )
    p.add_argument(
        "--skill",
        dest="skills",
        type=_names,
        action="extend",
        default=[],
        metavar="SKILL",
        help="a skill a team of the active pack declares, e.g. lang:de (repeatable, or comma-separated)",
    )
    p.add_argument(
        "--channel",
        dest="channels",
        type=_names,
        action="extend",
        default=[],
        metavar="CHANNEL",
        help=f"{', '.join(CHANNELS)} (repeatable, or comma-separated; none: every channel)",
    )
    p.add_argument(
        "--capacity",
        type=capacity_arg,
        default=5,
        metavar="N|CHANNEL=N,...",
        help="open conversations at once: 5 (all channels together) or email=5,chat=2",
    )
    _tenant(p)
    p.set_defaults(func=_command(_add))
    p = commands.add_parser("list", help="the tenant's agents with presence, teams, skills and capacity")
    _tenant(p)
    p.set_defaults(func=_command(_list))
    p = commands.add_parser("presence", help="set an agent's presence")
    p.add_argument("id")
    p.add_argument("status", choices=get_args(Presence))
    _tenant(p)
    p.set_defaults(func=_command(_presence))
    p = commands.add_parser("remove", help="remove an agent (the desk requeues its conversations)")
    p.add_argument("id")
    _tenant(p)
    p.set_defaults(func=_command(_remove))


def _tenant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", default=DEFAULT_TENANT, help=f"{TENANT_HELP} (default {DEFAULT_TENANT})")


async def _add(database: AsyncEngine, args: argparse.Namespace) -> int:
    settings = Settings()
    await require_tenant(database, args.tenant)
    try:
        given = AgentInput(
            id=args.id,
            name=args.name,
            teams=args.teams,
            skills=args.skills,
            channels=args.channels,
            capacity=args.capacity,
        )
        record = checked_agent(given, await active_pack(database, settings, args.tenant))
    except InvalidAgent as exc:
        for problem in exc.problems:
            print(f"convoflow agents add: {_option(problem.field)}: {problem.message}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            field = ".".join(str(p) for p in error["loc"])
            print(f"convoflow agents add: {_option(field)}: {error['msg']}", file=sys.stderr)
        return 2
    _, created = await RosterStore(database).put(args.tenant, record)
    print(f"{'created' if created else 'replaced'} agent {record.agent_id} of tenant {args.tenant}")
    await _tell_desk(settings, args.tenant, record.agent_id)
    return 0


def _option(field: str) -> str:
    """The option a field came from (`teams` -> `--team`), for messages in the shell's words."""
    head, dot, rest = field.partition(".")
    option = {"id": "ID", "teams": "--team", "skills": "--skill", "channels": "--channel"}.get(
        head, f"--{head}"
    )
    return option + dot + rest


async def _list(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    print(f"{'ID':<20} {'PRESENCE':<9} {'NAME':<24} {'TEAMS':<20} {'SKILLS':<24} {'CHANNELS':<16} CAPACITY")
    for stored in await RosterStore(database).list(args.tenant):
        agent = stored.record
        capacity = shown_capacity(agent.capacity)
        shown = (
            str(capacity) if isinstance(capacity, int) else ",".join(f"{c}={n}" for c, n in capacity.items())
        )
        print(
            f"{agent.agent_id:<20} {agent.presence:<9} {agent.name:<24} {','.join(agent.teams) or '-':<20} "
            f"{','.join(agent.skills) or '-':<24} {','.join(agent.channels) or 'all':<16} {shown}"
        )
    return 0


async def _presence(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    stored, changed = await RosterStore(database).set_presence(args.tenant, args.id, args.status)
    if stored is None:
        print(f"convoflow: no agent {args.id!r} in tenant {args.tenant}", file=sys.stderr)
        return 1
    print(f"agent {args.id} is {args.status}" + ("" if changed else " (it already was)"))
    await _tell_desk(Settings(), args.tenant, args.id)  # even unchanged: a rerun after a warning tells it
    return 0


async def _remove(database: AsyncEngine, args: argparse.Namespace) -> int:
    await require_tenant(database, args.tenant)
    if not await RosterStore(database).remove(args.tenant, args.id):
        print(f"convoflow: no agent {args.id!r} in tenant {args.tenant}", file=sys.stderr)
        return 1
    print(f"removed agent {args.id} of tenant {args.tenant}")
    await _tell_desk(Settings(), args.tenant, args.id)
    return 0


async def _tell_desk(settings: Settings, tenant: str, agent_id: str) -> None:
    """Signal the tenant's desk; warn (the write stands) when Temporal cannot be reached."""
    try:
        async with asyncio.timeout(TEMPORAL_SECONDS):
            client = await connect_checked(settings, temporal_address(settings), part=False)
            await desk_client.signal_roster_changed(client, settings.task_queue, tenant, agent_id)
    except (RPCError, RuntimeError, OSError, TimeoutError, KeyringError) as exc:
        why = str(exc) if isinstance(exc, KeyringError | NotThisService) else type(exc).__name__  # no key
        print(
            f"convoflow: warning: the roster is saved, but Temporal could not be told "
            f"({why}); running conversations learn it when the assignment desk next "
            "reads the roster",
            file=sys.stderr,
        )
