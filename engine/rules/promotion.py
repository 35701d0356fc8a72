"""Whether a shadow pack may become the active one: its test cases pass and its check has no error.

The same test run as `rules test` (engine/rules/casetest.py) and the same analysis as `rules check`
(engine/rules/analysis), so what ops saw pass is what promotion asks. A pack without test cases
is refused: "0 passed" would read as a pass, and promotion is gated on tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.rules.analysis import CheckReport, analyse
from engine.rules.casetest import run_cases
from engine.rules.decision import CompiledPack
from engine.rules.pack import RulePack


@dataclass(frozen=True)
class Blocker:
    """One reason a pack is not promoted: where (`pack.tests`, `pack.<path>`) and what."""

    field: str
    message: str


def promotion_blockers(pack: RulePack) -> list[Blocker]:
    """Every failing test case (by name, with its first failure) and every check error; [] to promote."""
    blockers = [
        Blocker(f"pack.{f.path}" if f.path else "pack", f"{f.code}: {f.message}")
        for f in CheckReport.of(analyse(pack)).findings
        if f.severity == "error"
    ]
    if not pack.tests:
        return [*blockers, Blocker("pack.tests", "no test cases: promotion needs the pack's tests to pass")]
    for result in run_cases(CompiledPack(pack), pack.tests):
        if not result.passed:
            first = f": {result.failures[0]}" if result.failures else ""
            blockers.append(Blocker("pack.tests", f"test case {result.name!r} fails{first}"))
    return blockers
