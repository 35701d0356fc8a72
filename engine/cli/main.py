"""`convoflow` command line: run the service or its parts (more subcommands join per capability)."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from pydantic import ValidationError

from engine.cli import (
    agents,
    audit,
    crm,
    customers,
    db,
    kpi,
    quarantine,
    retention,
    rules,
    rules_coverage,
    sla,
    tenants,
    webhook_secrets,
)
from engine.db.connection import DATABASE_ERRORS, first_line
from engine.service import logging_setup
from engine.service.config import Settings
from engine.service.settings_problems import settings_problems


def _serve(run: Callable[[Settings], Coroutine[Any, Any, None]]) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        try:
            settings = Settings()
        except ValidationError as exc:
            print(f"convoflow: bad setting: {settings_problems(exc)}", file=sys.stderr)
            return 2
        logging_setup.configure(settings.log_level)
        code = 0
        try:
            asyncio.run(run(settings))
        except KeyboardInterrupt:
            pass
        except Exception as exc:
            logging.getLogger("convoflow").error("convoflow stopped: %s", exc)
            code = 1
        return code  # `run` exits without the teardown in which the SDK's threads may abort

    return command


def build_parser() -> argparse.ArgumentParser:
    from engine.service import runtime

    parser = argparse.ArgumentParser(
        prog="convoflow",
        description="Customer-service conversation automation on Temporal. Settings come from the "
        "environment (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "up", help="run everything: embedded Temporal (unless TEMPORAL_ADDRESS), worker and API"
    ).set_defaults(func=_serve(runtime.up))
    sub.add_parser("worker", help="run one worker against TEMPORAL_ADDRESS").set_defaults(
        func=_serve(runtime.run_worker)
    )
    sub.add_parser("api", help="run the HTTP API against TEMPORAL_ADDRESS").set_defaults(
        func=_serve(runtime.run_api)
    )
    sub.add_parser(
        "codec-server", help="decrypt payloads for the Temporal Web UI / CLI (auditor or admin keys)"
    ).set_defaults(func=_serve(_codec_server))
    sla.add_parser(sub)
    rules_coverage.register(rules.add_parser(sub))
    crm.add_parser(sub)
    customers.add_parser(sub)
    db.add_parser(sub)
    tenants.add_parser(sub)
    webhook_secrets.add_parser(sub)
    agents.add_parser(sub)
    audit.add_parser(sub)
    kpi.add_parser(sub)
    quarantine.add_parser(sub)
    retention.add_parser(sub)
    return parser


async def _codec_server(settings: Settings) -> None:
    from engine.service.codec_server import run_codec_server

    await run_codec_server(settings)


# What a shell reports for `cat` killed by SIGPIPE (128 + 13): the reader of our output left early.
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code (`run`, the process entry, exits with it).

    When whoever reads stdout goes away early (`convoflow rules simulate ... | head`), the command
    stops quietly with EXIT_BROKEN_PIPE, the status `cat` or `grep` would give in that pipe (so
    `set -o pipefail` scripts still see the output was cut), instead of a BrokenPipeError traceback.
    Python ignores SIGPIPE (sockets need that), so the closed pipe arrives as that exception.
    """
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # buffered output meets the closed pipe here, not at interpreter exit
    except DATABASE_ERRORS as exc:
        # Any command that reached the database and met a schema of another release, a bad URL or
        # an unreachable server: one line, as `tenant` and `key` said it (`rules` gave a traceback).
        print(f"convoflow: database: {first_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    return code


def run() -> NoReturn:
    """The process entry (`convoflow`, `python -m engine.cli`): `main`, then `exit_without_teardown`
    with its code, also when it raised (argparse's SystemExit keeps its code; anything else is said
    with its traceback, as the interpreter would, and exits 1, or 130 for Ctrl-C)."""
    try:
        code = main()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except KeyboardInterrupt:
        code = 130
    except BaseException:
        traceback.print_exc()
        code = 1
    exit_without_teardown(code)


def exit_without_teardown(code: int = 0) -> NoReturn:
    """End the process once its work is done: run the exit handlers (multiprocessing's unlink the
    pack workers' semaphores), flush what it wrote, then skip the interpreter's teardown, in which
    the Temporal SDK's native threads abort the process now and then (sdk-python #300: "Fatal Python
    error: PyGILState_Release", exit 134, in one `audit export` of four when Temporal was
    unreachable). `convoflow` and the bench's processes end so."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone: the code stands
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
