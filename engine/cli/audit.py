"""`convoflow audit ...`: what auditors run to prove why a conversation went the way it did.

Each group of commands lives in its own module and adds itself to the `audit` group here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from engine.cli import audit_bundle, audit_explain, audit_timeline

# Each command module's `register(commands)`, in the order `convoflow audit --help` lists them.
REGISTER: list[Callable[[argparse._SubParsersAction], None]] = [
    audit_bundle.register,
    audit_explain.register,
    audit_timeline.register,
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="export, replay, verify, explain and draw conversations")
    commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    for register in REGISTER:
        register(commands)
