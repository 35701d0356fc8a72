"""`convoflow rules test`: a pack's test cases, and how well its intents are told apart.

A pack whose only problems are intents below its quality gate still runs its cases and shows the
cross-validated table: that table is what says which examples to add (it printed the two weak lines
alone before).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from engine.cli.audit_bundle import _tenant_name
from engine.cli.command import CommandFailed, require_tenant
from engine.cli.rules import load_weighed_pack
from engine.rules.casetest import run_cases
from engine.rules.decision import CompiledPack
from engine.rules.pack import RulePack
from engine.rules.triage import intent_report


def cmd_test(args: argparse.Namespace) -> int:
    if args.tenant is not None:
        require_tenant(args.tenant, unreachable_ok=Path(args.pack).exists())
    # A version by hash with the cases `--tenant` published it with (without: the latest any stored).
    pack, weak = load_weighed_pack(args.pack, args.tenant, tenant_s_own=args.tenant is not None)
    if not pack.tests and not Path(args.pack).exists():  # a version by hash: its files are elsewhere
        raise CommandFailed(
            2,
            [
                f"version {args.pack} keeps no test cases"
                + (f" for tenant {args.tenant}" if args.tenant else "")
                + ": it was published before versions kept them (or by another tenant); "
                "test the pack's files instead"
            ],
        )
    if not pack.tests:  # "0 passed, 0 failed" would read as a pass
        raise CommandFailed(
            2,
            [
                f"{args.pack}: no test cases to run; add them in tests.yaml beside pack.yaml "
                "or under `tests:` in the pack"
            ],
        )
    results = run_cases(CompiledPack(pack), pack.tests)
    for result in results:
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.name}")
        if not result.passed:
            for failure in result.failures:
                print(f"      {failure}")
            print("      decision: " + result.decision.model_dump_json(exclude_defaults=True))
    failed = sum(not r.passed for r in results)
    _print_intent_quality(pack)
    for line in weak:
        print(line)
    print(
        f"{len(results) - failed} passed, {failed} failed" + (f", {len(weak)} weak intent(s)" if weak else "")
    )
    return 1 if failed or weak else 0


def _print_intent_quality(pack: RulePack) -> None:
    """Cross-validated precision and recall per intent, and the gate the pack sets."""
    report = intent_report(pack)
    if report is None:
        return
    print(f"\nintents (model {report['model'][:12]}, {report['folds']}-fold cross-validation):")
    for row in report["intents"]:
        precision = "-" if row["precision"] is None else f"{row['precision']:.2f}"
        flag = "  WEAK" if row["weak"] else ""
        print(
            f"  {row['intent']:<20} {row['examples']:>4} examples  "
            f"precision {precision}  recall {row['recall']:.2f}{flag}"
        )
    gate = report["gate"]
    print(f"  gate: precision >= {gate['min_precision']}, recall >= {gate['min_recall']}\n")


def add_commands(command: Any) -> None:
    """Register `test` with `rules`' own `command(name, func, help)` helper."""
    p = command("test", cmd_test, "run the pack's test cases")
    p.add_argument("pack", help="a pack file or folder, or a published version's hash")
    p.add_argument("--tenant", type=_tenant_name, help="a hash: that tenant's version, with its test cases")
