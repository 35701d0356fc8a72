"""`convoflow audit export|replay|verify|public-key`: a conversation's record taken out, replayed and
checked offline.

- `export CONVERSATION [--output PATH]` writes the conversation's sealed bundle (engine/audit/bundle.py)
  to PATH (a zip when it ends in .zip) or stdout; `export --all --since DATE --output DIR` one bundle
  per conversation of the tenant active since DATE. Needs Temporal, a worker (the trail is a query)
  and the database (packs by hash).
- `replay BUNDLE...` replays every history in the bundles with this version's workflow code;
  `replay --all` every run of every conversation of the tenant, from Temporal. Prints
  `N replayed, M differences`, then each difference; exit 1 when there is one.
- `verify BUNDLE [--public-key FILE | --key-file FILE]` recomputes the chain and the file hashes and
  checks the manifest's signature offline with the service's public key (or the audit key it derives
  from): exit 0 `N records verified`, exit 1 naming the first record that was edited, removed or
  reordered, the file whose hash differs, or what an incomplete bundle lacks.
- `public-key` prints the public key that checks the bundles this deployment signs: what to hand an
  auditor (it cannot sign; the audit key can, and stays with the service).

Exit codes: 0 done, 1 a difference, a failed check, or Temporal/the database failed, 2 bad input (no
such conversation among them).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.service import RPCError

from engine.audit.bundle import FORMAT_1, BundleError
from engine.audit.chain import canonical_json
from engine.audit.signing import PublicKeyError, key_id, public_text, read_public, signing_key
from engine.audit.verification import VerifyingKeys, verify
from engine.cli.command import DEFAULT_TENANT
from engine.cli.tenants import TENANT_HELP
from engine.db.connection import SchemaError
from engine.db.keys import TENANT_PATTERN
from engine.periods import PeriodError, instant
from engine.service import audit_bundle
from engine.service.audit_bundle import Recorded
from engine.service.audit_explain import connect_cli
from engine.service.audit_key import AuditKeyError, audit_key_of, check_audit_key, key_from_file
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database
from engine.service.embedded_service import NotThisService
from engine.service.payload_codec import data_converter_of
from engine.service.payload_keys import KeyringError
from engine.service.replaying import Tally, replay_all

TEMPORAL_SECONDS = 10.0
# Errors whose own words say what to mend (no "Temporal:" before them, as other runtime errors get).
SAID_AS_IT_IS = (AuditKeyError, KeyringError, BundleError, PublicKeyError, NotThisService, ValidationError)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("export", help="a conversation's sealed audit bundle (histories, packs, trail)")
    p.add_argument("conversation", nargs="?", help="the conversation id (as the API names it)")
    p.add_argument("--all", action="store_true", help="every conversation active since --since")
    p.add_argument(
        "--since",
        type=_since,
        help="with --all: a date or ISO time (UTC when no zone), compared from its minute",
    )
    p.add_argument("--output", type=Path, help="file (.json, or .zip); with --all a directory; unset: stdout")
    _tenant(p)
    p.set_defaults(func=_run(_export))
    p = commands.add_parser("replay", help="replay recorded histories with this version's workflow code")
    p.add_argument("bundles", nargs="*", type=Path, metavar="BUNDLE")
    p.add_argument("--all", action="store_true", help="every conversation of the tenant, from Temporal")
    _tenant(p)
    p.set_defaults(func=_run(_replay))
    p = commands.add_parser("verify", help="check bundles' chains, seals and file hashes offline")
    # Many at once: one process per bundle spent ~4 s starting each (207 bundles: 13 minutes).
    p.add_argument("bundles", type=Path, nargs="+", metavar="BUNDLE")
    given = p.add_mutually_exclusive_group()
    given.add_argument(
        "--public-key",
        type=Path,
        help="the service's public key (`convoflow audit public-key`): checks, cannot sign",
    )
    given.add_argument(
        "--key-file", type=Path, help="file holding the audit key (default: CONVOFLOW_AUDIT_KEY)"
    )
    p.set_defaults(func=_run(_verify))
    p = commands.add_parser("public-key", help="the public key auditors check this deployment's bundles with")
    p.set_defaults(func=_run(_public_key))


def _tenant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", type=_tenant_name, default=DEFAULT_TENANT, help=f"{TENANT_HELP}")


def _tenant_name(text: str) -> str:
    if not TENANT_PATTERN.match(text):
        raise argparse.ArgumentTypeError(f"{text!r}: {TENANT_HELP}")
    return text


def _since(text: str) -> datetime:
    try:
        return instant("since", text)
    except PeriodError:
        raise argparse.ArgumentTypeError(f"{text!r}: a date (2026-11-30) or ISO time") from None


Action = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def _run(action: Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(action(Settings(), args))
        except _Usage as exc:
            print(f"convoflow audit: {exc}", file=sys.stderr)
            return 2
        except (
            AuditKeyError,
            KeyringError,
            BundleError,
            PublicKeyError,
            NotThisService,
            ValidationError,
        ) as exc:
            print(f"convoflow audit: {exc}", file=sys.stderr)
            return 2 if isinstance(exc, ValidationError) else 1
        except SchemaError as exc:  # a RuntimeError, but the database's (it was said as Temporal's)
            print(f"convoflow audit: database: {exc}", file=sys.stderr)
            return 1
        except (RPCError, RuntimeError, TimeoutError) as exc:
            print(f"convoflow audit: Temporal: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        except (SQLAlchemyError, OSError) as exc:
            print(f"convoflow audit: {exc}", file=sys.stderr)
            return 1

    return run


class _Usage(ValueError):
    """Arguments that do not go together."""


async def _client(settings: Settings) -> Client:
    async with asyncio.timeout(TEMPORAL_SECONDS):
        return await connect_cli(settings)


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    if args.all == bool(args.conversation):
        raise _Usage("name one CONVERSATION, or --all --since DATE")
    if args.all and (args.since is None or args.output is None):
        raise _Usage("--all needs --since DATE and --output DIR")
    key = audit_key_of(settings)
    await prepare_database(settings)
    await check_audit_key(settings, part=False)
    client = await _client(settings)
    database = database_of(settings)
    try:
        if not args.all:
            try:
                bundle = await audit_bundle.export(client, database, args.tenant, args.conversation, key)
            except audit_bundle.ConversationNotFound:
                print(
                    f"convoflow audit: no conversation {args.conversation!r} in tenant {args.tenant}",
                    file=sys.stderr,
                )
                return 2
            if args.output is None:
                sys.stdout.write(canonical_json(bundle).decode() + "\n")
                return _said_incomplete(args.conversation, bundle)
            written = audit_bundle.write_bundle(args.output, bundle)
            print(f"exported {args.conversation}: {written.path} ({written.size} bytes, {_counts(bundle)})")
            return _said_incomplete(args.conversation, bundle)
        names = await audit_bundle.conversations(client, args.tenant, args.since)
        incomplete = 0
        for name in names:
            bundle = await audit_bundle.export(client, database, args.tenant, name, key)
            written = audit_bundle.write_bundle(args.output / f"{name}.json", bundle)
            print(f"exported {name}: {written.path} ({written.size} bytes, {_counts(bundle)})")
            incomplete += _said_incomplete(name, bundle)
        print(
            f"{len(names)} conversations exported to {args.output}"
            + (f", {incomplete} of them incomplete (above)" if incomplete else "")
        )
        return 1 if incomplete else 0
    finally:
        await database.dispose()


def _said_incomplete(conversation: str, bundle: dict) -> int:
    """1, having said on stderr what the bundle lacks (its manifest's notes: a pack the store no
    longer holds as published, a run that did not answer); 0 when it is whole. The bundle is
    written all the same: what it holds is sealed, and `audit verify` names what is missing."""
    notes = bundle["manifest"].get("notes") or []
    for note in notes:
        print(f"convoflow audit: {conversation}: incomplete: {note}", file=sys.stderr)
    return 1 if notes else 0


def _counts(bundle: dict) -> str:
    manifest = bundle["manifest"]
    runs, records = len(manifest["run_ids"]), manifest["chain"]["records"]
    return f"{runs} run{'s' * (runs != 1)}, {records} decision record{'s' * (records != 1)}"


REPLAY_PROVES = (
    "(replay checks that this code decides as recorded; `convoflow audit verify` checks the bundle)"
)


async def _replay(settings: Settings, args: argparse.Namespace) -> int:
    if args.all == bool(args.bundles):
        raise _Usage("name BUNDLE files, or --all")
    if args.all:
        client = await _client(settings)
        recorded = await audit_bundle.recorded_runs(client, args.tenant)
        converter = client.data_converter
    else:
        recorded = []
        for path in args.bundles:
            recorded += _recorded_from(path)
        converter = data_converter_of(settings)
    tally = await replay_all(recorded, converter)
    print_tally(tally)
    if args.bundles:  # a replay of edited records passes: it proves the code, not the bundle
        print(REPLAY_PROVES)
    return 1 if tally.differences else 0


def _recorded_from(path: Path) -> list[Recorded]:
    bundle = audit_bundle.read_bundle(path)  # its errors name the path
    try:
        return audit_bundle.recorded_in(bundle)
    except BundleError as exc:
        raise BundleError(f"{path}: {exc}") from None


def print_tally(tally: Tally) -> None:
    print(tally.summary())
    for difference in tally.differences:  # with why: an edited history read as a change of code
        print(f"difference: {difference.describe()}")


async def _public_key(settings: Settings, args: argparse.Namespace) -> int:
    public = signing_key(audit_key_of(settings)).public_key()
    sys.stdout.write(public_text(public))
    print(f"# key id {key_id(public)}: `convoflow audit verify --public-key FILE BUNDLE` checks with it")
    return 0


async def _verify(settings: Settings, args: argparse.Namespace) -> int:
    if args.public_key is not None:
        key = VerifyingKeys(public=read_public(args.public_key.read_text(), str(args.public_key)))
    else:
        key = VerifyingKeys(secret=key_from_file(args.key_file) if args.key_file else audit_key_of(settings))
    many = len(args.bundles) > 1
    failed = 0
    for path in args.bundles:
        if not _verified(path, key, named=many):
            failed += 1
    if many:
        print(f"{len(args.bundles) - failed} of {len(args.bundles)} bundles verified")
    return 1 if failed else 0


def _verified(path: Path, key: VerifyingKeys, *, named: bool) -> bool:
    """One bundle's verdict, printed; a file that is no bundle counts as not verified (of many)."""
    try:
        bundle = audit_bundle.read_bundle(path)
        verdict = verify(bundle, key)
    except (BundleError, OSError) as exc:
        if not named:
            raise
        # A path that cannot be read (missing, a directory) is one bundle not verified: the batch
        # stopped there, and the bundles after it were never checked.
        said = f"cannot read it ({exc.strerror})" if isinstance(exc, OSError) else str(exc)
        print(said if said.startswith(f"{path}: ") else f"{path}: {said}")
        return False
    if verdict.intact:
        # Which conversation the sealed manifest names: a file renamed or handed over for another
        # conversation (or tenant) verifies too, and only this line tells the auditor so.
        manifest = bundle["manifest"]
        # A format 1 bundle was sealed with the audit key itself, which its checkers held: said so.
        # Which key it checked with: a bundle forged and sealed with another key verifies with that
        # key's public half, and an auditor handed the wrong .pub file read only "verified" (helper-121).
        signer = f", sealed by key {key_id(key.public)}" if key.public is not None else ""
        sealed = " (format 1: sealed with the audit key)" if manifest.get("format") == FORMAT_1 else signer
        print(
            f"{f'{path}: ' if named else ''}{verdict.records} records verified ({verdict.files} files match "
            f"the manifest): conversation {manifest.get('conversation')} of tenant {manifest.get('tenant')}, "
            f"exported {manifest.get('exported_at')}{sealed}"
        )
        return True
    for problem in verdict.problems:
        print(f"{path}: {problem}")
    return False
