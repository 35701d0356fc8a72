"""What a pack changes against the active one, for the second person who approves it (four-eyes).

Two views of the same change: a structural one (which rules, teams, templates, calendars, SLA
policies and test cases were added, removed or changed, and whether the rules' order changed: the
first `stop` rule wins, so order is behaviour) that a reviewer reads at a glance, and a unified diff
of the canonical YAML of both packs, test cases last, that shows every changed line. Both are
computed from the canonical content (what the hash covers), so formatting and comments never show
up as changes.
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

KEYED_SECTIONS = ("teams", "calendars", "sla_policies")
MAX_DIFF_LINES = 5000  # a rewrite of a big pack: the structural part still says everything


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": sorted(k for k in before.keys() & after.keys() if before[k] != after[k]),
    }


def _templates(pack: dict[str, Any]) -> dict[str, Any]:
    """Templates by `name.language`: a translation added is a change of its own."""
    return {
        f"{name}.{language}": text
        for name, languages in pack.get("templates", {}).items()
        for language, text in languages.items()
    }


def structural_diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Per section, what `new` adds, removes and changes against `old` (None: no active pack)."""
    base = old or {}
    rules_before = {r["id"]: r for r in base.get("rules", [])}
    rules_after = {r["id"]: r for r in new.get("rules", [])}
    kept = rules_before.keys() & rules_after.keys()
    order_before = [r for r in rules_before if r in kept]
    order_after = [r for r in rules_after if r in kept]
    found: dict[str, Any] = {
        "rules": {**_changes(rules_before, rules_after), "reordered": order_before != order_after},
        "templates": _changes(_templates(base), _templates(new)),
    }
    for section in KEYED_SECTIONS:
        found[section] = _changes(base.get(section, {}), new.get(section, {}))
    found["meta_changed"] = base.get("meta") != new.get("meta")
    found["settings_changed"] = base.get("settings") != new.get("settings")
    return found


def canonical_yaml(pack: dict[str, Any]) -> str:
    """The pack's YAML in its model's field order (a rule's `id` first, so a hunk names its rule)."""
    return yaml.safe_dump(pack, sort_keys=False, allow_unicode=True, width=100)


def unified_diff(old: dict[str, Any] | None, new: dict[str, Any], *, old_name: str, new_name: str) -> str:
    """The canonical YAML of `old` against `new`, as `diff -u` shows it (cut at MAX_DIFF_LINES)."""
    before = canonical_yaml(old).splitlines(keepends=True) if old else []
    after = canonical_yaml(new).splitlines(keepends=True)
    lines = list(difflib.unified_diff(before, after, old_name, new_name))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines\n"]
    return "".join(lines)


def pack_diff(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    old_hash: str | None,
    new_hash: str,
    old_tests: list[Any] | None = None,
    new_tests: list[Any] | None = None,
) -> dict[str, Any]:
    """Both views of the change from `old` (the active pack, canonical) to `new`, with the test
    cases each is published with (by name; the hash does not cover them): a proposal that weakened
    or dropped a case showed no change, and the reviewer approved a pack tested for less."""
    old_name = f"active/{old_hash[:12]}" if old_hash else "active/(none)"
    structure = structural_diff(old, new)
    structure["tests"] = _changes(_by_name(old_tests or []), _by_name(new_tests or []))
    tested_old = {**old, "tests": old_tests or []} if old is not None else None
    tested_new = {**new, "tests": new_tests or []}
    return {
        "against": old_hash,
        "structure": structure,
        "unified": unified_diff(
            tested_old, tested_new, old_name=old_name, new_name=f"proposed/{new_hash[:12]}"
        ),
    }


def _by_name(tests: list[Any]) -> dict[str, Any]:
    return {str(case.get("name")): case for case in tests if isinstance(case, dict)}
