"""`convoflow sla deadline|elapsed`: business-time arithmetic from the command line.

Bad input exits with code 2 and one line naming the problem, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from engine import yaml12
from engine.calendar import BusinessCalendar, CalendarError
from engine.rules.actions.base import MAX_MINUTES


class UsageError(Exception):
    pass


def load_calendar(path: Path) -> BusinessCalendar:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--calendar {path}: {exc.strerror}") from None
    try:
        doc = json.loads(text) if path.suffix == ".json" else yaml12.load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UsageError(
            f"--calendar {path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    try:
        return BusinessCalendar.from_dict(doc)
    except CalendarError as exc:
        raise UsageError(f"--calendar {path}: {exc}") from None


def parse_instant(value: str, option: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r}: not an ISO 8601 date-time") from None
    if at.tzinfo is None:
        raise UsageError(f"{option} {value!r}: needs a UTC offset, e.g. 2026-11-20T17:30:00+01:00")
    return at


def format_seconds(delta: timedelta) -> str:
    micros = delta // timedelta(microseconds=1)
    whole, frac = divmod(micros, 1_000_000)
    return str(whole) if frac == 0 else f"{whole}.{frac:06d}".rstrip("0")


def deadline(args: argparse.Namespace) -> str:
    if not 0 <= args.minutes <= MAX_MINUTES:  # a pack's targets are bounded the same; beyond, dates overflow
        raise UsageError(f"--minutes {args.minutes}: from 0 to {MAX_MINUTES} (ten years)")
    cal = load_calendar(args.calendar)
    start = parse_instant(args.start, "--start")
    try:
        return cal.deadline(start, timedelta(minutes=args.minutes)).isoformat()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def elapsed(args: argparse.Namespace) -> str:
    cal = load_calendar(args.calendar)
    start = parse_instant(args.start, "--from")
    end = parse_instant(args.end, "--to")
    if end < start:  # it printed 0, as for two instants in one closed night
        raise UsageError(f"--to {args.end!r} is before --from {args.start!r}")
    return format_seconds(cal.elapsed(start, end))


def add_parser(sub: argparse._SubParsersAction) -> None:
    sla = sub.add_parser("sla", help="business-hours arithmetic on a calendar file")
    cmds = sla.add_subparsers(dest="sla_command", required=True, metavar="COMMAND")
    p = cmds.add_parser("deadline", help="the instant N business minutes after --start")
    p.add_argument("--calendar", type=Path, required=True, help="calendar document (JSON or YAML)")
    p.add_argument("--start", required=True, help="ISO 8601 with offset")
    p.add_argument(
        "--minutes", type=float, required=True, help="business minutes (fractional as a pack's: 1.5)"
    )
    p.set_defaults(func=_run(deadline))
    p = cmds.add_parser("elapsed", help="business seconds between --from and --to")
    p.add_argument("--calendar", type=Path, required=True, help="calendar document (JSON or YAML)")
    p.add_argument("--from", dest="start", required=True, help="ISO 8601 with offset")
    p.add_argument("--to", dest="end", required=True, help="ISO 8601 with offset")
    p.set_defaults(func=_run(elapsed))


def _run(command):
    def run(args: argparse.Namespace) -> int:
        try:
            print(command(args))
        except UsageError as exc:
            print(f"convoflow sla: {exc}", file=sys.stderr)
            return 2
        return 0

    return run
