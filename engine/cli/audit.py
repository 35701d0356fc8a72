"""`convoflow audit ...`: what auditors run to prove why a conversation went the way it did.

Each group of commands lives in its own module and adds itself to the `audit` group here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from engine.cli import audit_bundle, audit_explain, audit_timeline
from engine.service.config import Settings
from engine.service.payload_keys import DEV_KEYRING_FILE

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
    for command in commands.choices.values():
        command.set_defaults(func=_in_the_service_folder(command.get_default("func")))


def _in_the_service_folder(
    run: Callable[[argparse.Namespace], int], prog: str = "convoflow audit"
) -> Callable[[argparse.Namespace], int]:
    """Refuse to run where the embedded service's data directory is not.

    Under embedded defaults the data directory (`data`, relative to where the command runs) holds the
    payload keyring and the audit key; run elsewhere, the command would create new keys there and
    then fail to decrypt anything, or seal a bundle under the wrong key.
    """

    def command(args: argparse.Namespace) -> int:
        settings = Settings()
        embedded = settings.database_url is None and settings.payload_keys is None
        # Checking a bundle needs its key only: an auditor's machine has no service data.
        verifying = getattr(args, "audit_command", None) == "verify"
        keyed = getattr(args, "audit_command", None) in ("verify", "public-key") and settings.audit_key
        offline = getattr(args, "key_file", None) or getattr(args, "public_key", None) or keyed
        if embedded and not offline and not (settings.data_dir / DEV_KEYRING_FILE).exists():
            print(
                f"{prog}: no service data in {settings.data_dir.resolve()}: run it in the folder "
                "where `make run` runs, or set CONVOFLOW_DATA_DIR (a cluster: CONVOFLOW_DATABASE_URL, "
                "CONVOFLOW_PAYLOAD_KEYS, CONVOFLOW_AUDIT_KEY)"
                + ("; `audit verify --public-key FILE` checks a bundle anywhere" if verifying else ""),
                file=sys.stderr,
            )
            return 2
        return run(args)

    return command
