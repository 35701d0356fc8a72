"""The coverage report for a terminal: a table of rules, then what nothing exercised.

Drawn from the JSON document (engine/rules/coverage/report.py), so both formats say the same.
"""

from __future__ import annotations

from typing import Any

LEGEND = "CASES: test cases that matched the rule / that evaluated it"
TRAFFIC_LEGEND = "; FIRED: decisions that matched it / that evaluated it"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _percent(covered: int, total: int) -> str:
    return f"{100 * covered // total}%" if total else "-"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def render(report: dict[str, Any]) -> str:
    pack, tests, summary, traffic = report["pack"], report["tests"], report["summary"], report["traffic"]
    failed = tests["failed"]
    lines = [
        f"{pack['name']} {pack['version']} (hash {pack['hash'][:12]}): {tests['cases']} test cases, "
        + (f"{len(failed)} failing: {', '.join(failed)}" if failed else "all passing"),
        f"rules matched by a test case: {summary['tested']} of {summary['rules']}; branches covered: "
        f"{summary['branches']['covered']} of {summary['branches']['total']} "
        f"({_percent(summary['branches']['covered'], summary['branches']['total'])})",
    ]
    if traffic is not None:
        lines.append(
            f"traffic of tenant {traffic['tenant']} from {traffic['from']} to {traffic['to']}: "
            f"{_count(traffic['conversations'], 'conversation')}, {_count(traffic['decisions'], 'decision')}"
            + (" (more conversations than were read: the counts are a floor)" if traffic["truncated"] else "")
            + (f"; {traffic['unanswered_runs']} runs did not answer" if traffic["unanswered_runs"] else "")
        )
    header = ["RULE", "TESTED", "CASES", "BRANCHES"] + (["FIRED"] if traffic is not None else [])
    rows = [header]
    for rule in report["rules"]:
        cases, branches = rule["cases"], rule["branches"]
        row = [
            rule["id"],
            "yes" if rule["tested"] else "NO",
            f"{len(cases['matched'])}/{cases['evaluated']}",
            f"{branches['covered']}/{branches['total']}" if branches["total"] else "-",
        ]
        if traffic is not None:
            row.append(f"{rule['traffic']['fired']}/{rule['traffic']['evaluated']}")
        rows.append(row)
    lines += ["", *_table(rows)]
    uncovered = [
        f"  {rule['id']}: {b['path']} never {'true' if b['outcome'] else 'false'}"
        for rule in report["rules"]
        for b in rule["branches"]["uncovered"]
    ]
    if uncovered:
        lines += ["", "branches no test case takes:", *uncovered]
    odd = [
        f"  {rule['id']}: {name} ({what})"
        for rule in report["rules"]
        for what, key in (("failed to evaluate", "failed"), ("the trace disagrees", "disagreed"))
        for name in rule["cases"][key]
    ]
    if odd:
        lines += ["", "test cases a condition failed in:", *odd]
    lines += ["", "never matched by a test case: " + (", ".join(summary["untested"]) or "none")]
    if traffic is not None:
        lines.append("never fired in the period: " + (", ".join(summary["never_fired"]) or "none"))
        if traffic["other_rules"]:
            others = ", ".join(f"{rule_id} {n}" for rule_id, n in traffic["other_rules"].items())
            lines.append(f"fired, but not rules of this pack: {others}")
    lines += ["", LEGEND + (TRAFFIC_LEGEND if traffic is not None else "")]
    return "\n".join(lines)
