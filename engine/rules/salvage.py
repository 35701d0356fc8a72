"""What validation can still check in a pack whose structure pydantic refused.

A structure error (a misspelt field, a value of the wrong type) hid every other problem until it was
mended: an author fixed `prority:` in a test case to learn of the unknown team in a rule, then of a
context path in another, one run of `rules validate` each. The elements with a structure error (a
rule, a test case, an SLA policy, a team, a template, a calendar) are set aside, the rest is checked
as a whole, and its problems are told beside the structure's at their own paths (a rule after one set
aside keeps its index), but for those that only name what was set aside (an unknown rule id a test
expects, a team a rule routes to). A structure error elsewhere (meta, settings) checks nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from engine.rules.loader import PackSource, Problem
from engine.rules.pack import RulePack

LISTS = ("rules", "tests")
MAPPINGS = ("sla_policies", "teams", "templates", "calendars")


# How another element names what a section holds, as the validator's "unknown ..." problems say it.
NAMED_AS = {
    "rules": "rule id",
    "teams": "team",
    "sla_policies": "SLA policy",
    "templates": "template",
    "calendars": "calendar",
}
_INDEXED = re.compile(r"\b(rules|tests)\[(\d+)\]")


@dataclass(frozen=True)
class Salvage:
    """The pack without the elements set aside, and how to read its problems in the whole pack."""

    source: PackSource
    kept: dict[str, list[int]]
    """For `rules` and `tests`: the index in the whole pack of each element kept, in order."""
    aside: frozenset[str]
    """What was set aside, as a problem naming it begins: `unknown team "billing"`."""

    def restore(self, original: PackSource, problem: Problem) -> Problem | None:
        """`problem` at its path (and line) in the whole pack, an index in its message too; None when
        it only names what was set aside."""
        if problem.message.startswith(tuple(self.aside)):
            return None
        path, message = (_INDEXED.sub(self._index, text) for text in (problem.path, problem.message))
        return original.problem(path, message, problem.code)

    def _index(self, found: re.Match[str]) -> str:
        section, index = found.group(1), int(found.group(2))
        kept = self.kept.get(section)
        return f"{section}[{kept[index] if kept is not None and index < len(kept) else index}]"


def salvage(source: PackSource, errors: Sequence[ErrorDetails]) -> Salvage | None:
    """The pack with every element a structure error is in set aside; None when an error is
    outside such an element."""
    aside: dict[str, set[Any]] = {}
    for err in errors:
        loc = err["loc"]
        if len(loc) < 2 or loc[0] not in (*LISTS, *MAPPINGS):
            return None
        aside.setdefault(str(loc[0]), set()).add(loc[1])
    data, kept, names = dict(source.data), {}, set()
    for section, keys in aside.items():
        value = data.get(section)
        if section in LISTS and isinstance(value, list):
            kept[section] = [i for i in range(len(value)) if i not in keys]
            ids = {str(value[i]["id"]) for i in keys if isinstance(value[i], dict) and "id" in value[i]}
            data[section] = [value[i] for i in kept[section]]
        elif section in MAPPINGS and isinstance(value, dict):
            ids = {str(key) for key in keys}
            data[section] = {k: v for k, v in value.items() if k not in keys}
        else:
            return None
        if section in NAMED_AS:
            names |= {f'unknown {NAMED_AS[section]} "{name}"' for name in ids}
    return Salvage(PackSource(source.main_file, data, source.locations), kept, frozenset(names))


def beyond_structure(
    source: PackSource, exc: ValidationError, check: Callable[[PackSource, RulePack], list[Problem]]
) -> list[Problem]:
    """The problems `check` finds in the rest of a pack whose structure `exc` refused (see above)."""
    rest = salvage(source, exc.errors(include_url=False))
    if rest is None:
        return []
    try:
        pack = RulePack.model_validate(rest.source.data)
    except ValidationError:  # an element's error hid another's (a duplicate, a reference in a model)
        return []
    return [p for p in (rest.restore(source, p) for p in check(rest.source, pack)) if p is not None]
