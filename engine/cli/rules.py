"""`convoflow rules ...`: the ops team's tools for rule packs.

validate, check and test before review, simulate and diff before publishing ("what happens if I publish
this"), publish and list afterwards. Exit codes: 0 fine, 1 test cases, diff or check (an error
finding) found something, 2 the pack or the input is invalid (for `test`: the pack has no test
cases), 141 stdout was closed early (`| head`, see engine/cli/main.py).

For a tenant that requires approval (four-eyes), the CLI does not publish or promote: it has no
identity a second person could be told apart from (whoever runs it holds the database), so it
refuses (2) and names the API route that makes a proposal instead.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from engine.cli.command import (
    DEFAULT_TENANT,
    CommandFailed,
    cli_user,
    refuse_when_approval_required,
    require_tenant,
    with_store,
)
from engine.contracts.assignment import AgentRecord
from engine.db.keys import ensure_tenant, tenant_exists
from engine.db.packs import PackStore, UnknownPack
from engine.db.roster import RosterStore
from engine.rules.analysis import CheckReport, Roster, analyse, check
from engine.rules.casetest import run_cases
from engine.rules.context import render_reference
from engine.rules.decision import CompiledPack
from engine.rules.loader import PackLoadError, PackSource, load_object
from engine.rules.pack import RulePack
from engine.rules.simulation import (
    ConversationsFileError,
    diff,
    format_action,
    parse_conversations,
    simulate,
)
from engine.rules.triage.checks import WEAK_INTENT
from engine.rules.validation import validate
from engine.service.config import DEV_TENANT
from engine.service.pack_files import load_source
from engine.service.roster_rules import unknown_agents

SHORT_HASH = re.compile(r"^[0-9a-f]{4,6}$")
"""What reads as a hash cut too short (`rules publish 19d03c`), not a file name."""
HASH = re.compile(r"^[0-9a-f]{7,64}$")
"""A published pack's hash, or the first 7 or more of its digits as a listing shows it."""


def load_pack(ref: str, tenant: str | None = None, *, tenant_s_own: bool = False) -> RulePack:
    """A pack from a file or folder, or a published version by hash with the test cases it was
    published with (by `tenant`, when it did; `tenant_s_own`: only a version `tenant` published);
    invalid -> CommandFailed(2), well-formed but with intents below its quality gate -> CommandFailed(1)."""
    pack, weak = load_weighed_pack(ref, tenant, tenant_s_own=tenant_s_own)
    if weak:
        # A well-formed pack whose intents are too weak fails like failing test cases (1), not as broken (2).
        raise CommandFailed(1, weak)
    return pack


def load_weighed_pack(
    ref: str, tenant: str | None = None, *, tenant_s_own: bool = False
) -> tuple[RulePack, list[str]]:
    """`load_pack`, with the pack whose only problems are intents below its quality gate given
    back beside them: `rules test` still runs the cases and shows the table that says what to mend."""
    path = Path(ref)
    if not path.exists() and HASH.match(ref):
        return with_store(lambda store: _published(store, ref, tenant, tenant_s_own)), []
    pack, problems = validate(_source(ref))
    if pack is None or any(p.code != WEAK_INTENT for p in problems):
        raise CommandFailed(2, [str(p) for p in problems])
    return pack, [str(p) for p in problems]


async def _published(store: PackStore, ref: str, tenant: str | None, tenant_s_own: bool) -> RulePack:
    """The published pack `ref` names by its hash or a prefix of it that only one hash has; of
    `tenant`'s versions only with `tenant_s_own` (`audit whatif --tenant acme` took a hash only
    globex had published, which the API refuses)."""
    own = tenant if tenant_s_own else None
    found = await store.hashes_beginning(ref, tenant=own)
    if not found and own is not None and await store.hashes_beginning(ref):
        raise CommandFailed(2, [f"{ref}: no version of tenant {own} has this hash (`rules list`)"])
    if len(found) > 1:
        shown = ", ".join(found[:4]) + (", ..." if len(found) > 4 else "")
        raise CommandFailed(
            2, [f"{ref}: more than one published pack's hash begins so ({shown}): write more digits"]
        )
    try:
        return await store.version(found[0] if found else ref, tenant)
    except UnknownPack:
        raise CommandFailed(2, [f"{ref}: no published pack with that hash"]) from None


def cmd_validate(args: argparse.Namespace) -> int:
    pack = load_pack(args.pack)
    print(
        f"{args.pack}: ok: {len(pack.rules)} rules, {len(pack.tests)} test cases, "
        f"version {pack.meta.version}, hash {pack.content_hash}"
    )
    return 0


def _roster(tenant: str | None) -> tuple[Roster | None, str]:
    """The tenant's roster, or why there is none to check against (no --tenant, no database)."""
    if tenant is None:
        return None, "no --tenant given"

    async def read(store: PackStore) -> list[AgentRecord]:
        return [a.record for a in await RosterStore(store.engine).list(tenant)]

    try:  # a shell against a cluster that names no database is refused (it wrote a local SQLite file)
        return Roster(tenant, with_store(read)), ""
    except (OSError, SQLAlchemyError) as exc:
        return None, f"the database is not reachable ({type(exc).__name__})"


def cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.pack)
    if args.tenant is not None:
        require_tenant(args.tenant, unreachable_ok=path.exists())
    if not path.exists() and HASH.match(args.pack):  # a published version, as `POST /v1/rules/check` takes
        published = load_pack(args.pack, args.tenant, tenant_s_own=args.tenant is not None)
        source = load_object(published.as_written(), args.pack)
    else:
        source = _source(args.pack)
    report = check(source, *_roster(args.tenant))
    if args.format == "json":
        print(report.model_dump_json(indent=1))
    else:
        for finding in report.findings:
            ids = f" [{', '.join(finding.rules)}]" if finding.rules else ""
            print(f"{finding}{ids}")
        infos = len(report.findings) - report.errors - report.warnings
        print(f"{args.pack}: {report.errors} error(s), {report.warnings} warning(s), {infos} info(s)")
    return 1 if report.errors else 0


def _source(ref: str) -> PackSource:
    path = Path(ref)
    if not path.exists():
        short = " (a version's hash is written with 7 or more of its digits)" if SHORT_HASH.match(ref) else ""
        raise CommandFailed(2, [f"{ref}: no such file or folder{short}"])
    try:
        return load_source(path)
    except PackLoadError as exc:  # not YAML, or not a pack's files
        raise CommandFailed(2, [str(p) for p in exc.problems]) from None


def _conversations(path: Path):
    try:
        with open(path, encoding="utf-8") as lines:
            return parse_conversations(lines, str(path))
    except (OSError, ConversationsFileError) as exc:
        raise CommandFailed(2, [str(exc)]) from None


def cmd_simulate(args: argparse.Namespace) -> int:
    pack = load_pack(args.pack)
    rows, totals = simulate(CompiledPack(pack), _conversations(args.conversations))
    if args.json:
        print(json.dumps({"conversations": rows, "totals": totals.__dict__}, default=dict, indent=1))
        return 0
    for row in rows:
        steps = "; ".join(
            f"{e['event']}: {', '.join(format_action(a) for a in e['actions']) or '-'}" for e in row["events"]
        )
        print(f"{row['id']}  {steps}")
    print(f"\n{totals.conversations} conversations, {totals.events} events")
    print(
        f"  acknowledged/replied {totals.replied}, tagged {totals.tagged}, escalated {totals.escalated}, "
        f"surveyed {totals.surveyed}, closed {totals.closed}, rule errors {totals.errors}"
    )
    print("  routed: " + (", ".join(f"{team} {n}" for team, n in totals.routed.most_common()) or "-"))
    print("  tags: " + (", ".join(f"{tag} {n}" for tag, n in totals.tags.most_common()) or "-"))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    old, new = load_pack(args.old), load_pack(args.new)
    conversations = _conversations(args.conversations)
    changes = diff(CompiledPack(old), CompiledPack(new), conversations)
    for change in changes:
        # By its trail number where the recording has it, as `audit explain` names it (`event 5` read
        # as explain's #5, which was another event: helper-121); else its place in the file, from 1.
        where = f"#{change.seq}" if change.seq is not None else f"event {change.event_index + 1} of the file"
        print(f"{change.conversation} {where} ({change.event}):")
        for sign, actions, matched in (
            ("-", change.before, change.matched_before),
            ("+", change.after, change.matched_after),
        ):
            print(f"  {sign} {', '.join(map(format_action, actions)) or 'nothing'}   [{', '.join(matched)}]")
    touched = len({c.conversation for c in changes})
    print(f"{touched} of {len(conversations)} conversations would change ({len(changes)} decisions)")
    return 1 if changes else 0


def cmd_publish(args: argparse.Namespace) -> int:
    if args.shadow:
        from engine.cli.rules_shadow import publish_shadow  # imports this module: imported when used

        return publish_shadow(args)
    pack = load_pack(args.pack, args.tenant)
    failed = [r for r in run_cases(CompiledPack(pack), pack.tests) if not r.passed]
    if failed:
        raise CommandFailed(
            1, [f"not published: {len(failed)} test case(s) fail; see `convoflow rules test`"]
        )
    located = load_source(Path(args.pack)) if Path(args.pack).exists() else None  # else a hash
    # With the tenant's roster, as the API's publish: a team the pack drops while agents are in it
    # was said by `rules check --tenant` and the API, not by the CLI's publish.
    report = CheckReport.of(analyse(pack, *_roster(args.tenant), source=located))
    if report.errors:
        raise CommandFailed(
            2,
            [f"not published: `convoflow rules check` finds {report.errors} error(s):"]
            + [f"  {f}" for f in report.findings if f.severity == "error"],
        )
    if not pack.tests:  # nothing tested is not "0 failed": the gate would pass anything
        raise CommandFailed(1, [f"not published: {untested(args.pack, args.tenant)}"])
    source = str(Path(args.pack).resolve())
    from_files = Path(args.pack).exists()  # else a rollback by hash: the version's text stays

    async def checked_publish(store: PackStore) -> str:
        if args.tenant == DEV_TENANT:  # `make run`'s own: `up` makes it, a pack may come first
            await ensure_tenant(store.engine, DEV_TENANT)
        elif not await tenant_exists(store.engine, args.tenant):  # a typo: a pack nobody would run
            raise CommandFailed(
                2, [f"not published: no tenant {args.tenant!r}: create it with `convoflow tenant create`"]
            )
        await refuse_when_approval_required(store, args.tenant, "published", "POST /v1/rules/publish")
        if problems := await unknown_agents(store.engine, args.tenant, pack):
            raise CommandFailed(2, [f"{args.pack}: {p.field}: {p.message}" for p in problems])
        return await store.publish(
            args.tenant, pack, published_by=cli_user(), source=source, written_elsewhere=from_files
        )

    digest = with_store(checked_publish)
    print(
        f"published {pack.meta.name} {pack.meta.version} as {digest}; "
        f"active for tenant {args.tenant}'s new conversations"
    )
    for finding in report.findings:  # published all the same; said so it is not missed
        if finding.severity == "warning":
            print(f"convoflow rules: {finding}", file=sys.stderr)
    return 0


def untested(ref: str, tenant: str) -> str:
    """Why a pack with no test cases is not published (nor promoted): rules go live tested. A
    version keeps the tests each tenant published it with: another tenant's hash has none for this
    one (it read "published before versions kept them" for a version this release had published)."""
    if Path(ref).exists():
        return f"{ref} has no test cases; publishing needs them to pass: add tests.yaml or `tests:`"
    return (
        f"version {ref} keeps no test cases for tenant {tenant}: it is not one of its versions "
        f"(`convoflow rules list --tenant {tenant}`), or was published before versions kept them; "
        "publish it from its files, with its tests"
    )


def cmd_context_doc(args: argparse.Namespace) -> int:
    text = render_reference()
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Add `convoflow rules`; returns its commands, for commands kept in modules of their own."""
    rules = sub.add_parser("rules", help="validate, test, simulate, diff and publish rule packs")
    cmds = rules.add_subparsers(dest="rules_command", required=True, metavar="COMMAND")

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help)
        p.set_defaults(func=_run(func))
        return p

    command("validate", cmd_validate, "report every problem with its path and line").add_argument("pack")
    p = command("check", cmd_check, "static analysis: dead, shadowed and conflicting rules, references")
    p.add_argument("pack")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--tenant",
        help="also check the tenant's roster (agents, skills) in the database; a hash: of its versions",
    )
    p = command("simulate", cmd_simulate, "run recorded conversations through a pack, no side effects")
    p.add_argument("pack")
    p.add_argument("--conversations", type=Path, required=True, help="JSON lines of recorded conversations")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = command("diff", cmd_diff, "which decisions change between two packs (paths or published hashes)")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--conversations", type=Path, required=True)
    p = command("publish", cmd_publish, "store the pack under its hash and make it the tenant's active pack")
    p.add_argument("pack", help="a pack file or folder, or a published pack's hash (a rollback)")
    p.add_argument("--tenant", default=DEFAULT_TENANT, help=f"whose pack (default: {DEFAULT_TENANT})")
    p.add_argument(
        "--shadow",
        action="store_true",
        help="as the tenant's shadow pack: decided beside the live one, never run",
    )
    p = command("context-doc", cmd_context_doc, "print or write the rule context reference")
    p.add_argument("--output", type=Path)
    from engine.cli.rules_history import add_commands as add_history  # imports this module
    from engine.cli.rules_proposals import add_commands as add_proposals  # imports this module
    from engine.cli.rules_shadow import add_commands  # imports this module: imported once it is loaded
    from engine.cli.rules_testing import add_commands as add_testing  # imports this module

    add_testing(command)
    add_commands(command)
    add_proposals(command)
    add_history(command)
    return cmds


def _run(func):
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except CommandFailed as exc:
            for line in exc.lines:
                print(line, file=sys.stderr)
            return exc.code

    return run
