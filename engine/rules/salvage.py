"""What validation can still check in a pack whose structure pydantic refused.

A structure error (a misspelt field, a value of the wrong type) hid every other problem until it was
mended: an author fixed `prority:` in a test case to learn of the unknown team in a rule, then of a
context path in another, one run of `rules validate` each. What holds a structure error is set aside
and the rest is checked as a whole; its problems are told beside the structure's at their own paths
(an element after one set aside keeps its index), but for those that only name what was set aside.

Set aside as little as will do: first the part an error is in (an action of a rule, a field of a
policy), so the rest of that rule or policy is checked too; when the pack still does not hold
together, each element an error is in (a rule, a test case, an SLA policy, a team, a template, a
calendar), and what other elements say of it (an unknown rule id a test expects, a team a rule routes
to) is left out. A structure error elsewhere (meta, settings) checks nothing more.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from engine.rules.loader import PackSource, Problem, format_path
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
_SEGMENT = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")
_INDEXED = re.compile(r"\b(rules|tests)\[(\d+)\]")


@dataclass(frozen=True)
class Salvage:
    """The pack without what was set aside, and how to read its problems in the whole pack."""

    source: PackSource
    kept: dict[str, list[int]]
    """For each list an item was taken from, by its path in the whole pack: the index there of each
    item kept, in order."""
    aside: frozenset[str]
    """What was set aside, as a problem naming it begins: `unknown team "billing"`."""
    trimmed: frozenset[str]
    """Elements a field was taken from (`sla_policies.fast`): their own whole-element problems
    ("sets no target") may be of the trimming, and are left out."""

    def restore(self, original: PackSource, problem: Problem) -> Problem | None:
        """`problem` at its path (and line) in the whole pack, an index in its message too; None when
        it only names what was set aside."""
        if problem.message.startswith(tuple(self.aside)) or problem.path in self.trimmed:
            return None
        message = _INDEXED.sub(lambda m: self._whole(f"{m.group(1)}[{m.group(2)}]"), problem.message)
        return original.problem(self._whole(problem.path), message, problem.code)

    def _whole(self, path: str) -> str:
        """A path of the salvaged pack as the whole pack has it."""
        parts: list[str | int] = []
        for index, key in _SEGMENT.findall(path):
            if not index:
                parts.append(key)
                continue
            kept = self.kept.get(format_path(parts))
            n = int(index)
            parts.append(kept[n] if kept is not None and n < len(kept) else n)
        return format_path(parts)


def _parts(data: dict[str, Any], errors: Sequence[ErrorDetails]) -> list[tuple[Any, ...]] | None:
    """The least to set aside for each element with an error: the list items (an action of a rule)
    and fields (`prority:`, a policy's bad minutes) its errors are in, when the element holds
    together without them, else the element; None when an error is outside the elements."""
    by_element: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        if len(loc) < 2 or loc[0] not in (*LISTS, *MAPPINGS):
            return None
        inner = [i for i in range(2, len(loc)) if isinstance(loc[i], int)]
        if inner:
            part = loc[: inner[-1] + 1]
        elif len(loc) > 2 and err["type"] != "missing":
            part = loc if err["type"] == "extra_forbidden" else loc[:3]
        else:
            part = loc[:2]
        by_element.setdefault(loc[:2], []).append(part)
    parts: list[tuple[Any, ...]] = []
    for element, inside in by_element.items():
        parts += inside if _holds_without(data, element, inside) else [element]
    return parts


def _holds_without(data: dict[str, Any], element: tuple[Any, ...], parts: list[tuple[Any, ...]]) -> bool:
    """Whether `element` is still one of its kind (its model says) without `parts`."""
    section, key = element
    args = get_args(RulePack.model_fields[section].annotation)
    model = args[-1] if args else None
    if element in parts or not (isinstance(model, type) and issubclass(model, BaseModel)):
        return False
    try:
        item = copy.deepcopy(data[section][key])
        # the deepest first, and in one list the last first: a removal shifts what follows it
        for part in sorted(
            parts, key=lambda p: (len(p), p[-1] if isinstance(p[-1], int) else -1), reverse=True
        ):
            container = item
            for step in part[2:-1]:
                container = container[step]
            if isinstance(container, list):
                del container[part[-1]]
            else:
                container.pop(part[-1], None)
        model.model_validate(item)
    except (ValidationError, LookupError, TypeError, AttributeError):
        return False
    return True


def _elements(errors: Sequence[ErrorDetails]) -> list[tuple[Any, ...]] | None:
    """The element each error is in; None when one is outside the elements."""
    found = []
    for err in errors:
        loc = tuple(err["loc"])
        if len(loc) < 2 or loc[0] not in (*LISTS, *MAPPINGS):
            return None
        found.append(loc[:2])
    return found


def salvage(source: PackSource, parts: list[tuple[Any, ...]]) -> Salvage | None:
    """The pack with each part (a path in it) set aside; None when one is not where it says."""
    data = copy.deepcopy(source.data)
    removed: dict[tuple[Any, ...], set[Any]] = {}
    for part in parts:
        removed.setdefault(part[:-1], set()).add(part[-1])
    kept: dict[str, list[int]] = {}
    names: set[str] = set()
    trimmed: set[str] = set()
    # The deepest first: an item taken from a list shifts the items after it, so a part inside an
    # element is taken before the element's own list is.
    for container_path, keys in sorted(removed.items(), key=lambda item: -len(item[0])):
        container: Any = data
        try:
            for step in container_path:
                container = container[step]
        except (LookupError, TypeError):  # an error's place the data does not have: claim nothing
            return None
        if isinstance(container, list) and all(isinstance(k, int) and k < len(container) for k in keys):
            kept[format_path(list(container_path))] = [i for i in range(len(container)) if i not in keys]
            if container_path == ("rules",):
                names |= {f'unknown rule id "{container[i]["id"]}"' for i in keys if _has_id(container[i])}
            container[:] = [item for i, item in enumerate(container) if i not in keys]
        elif isinstance(container, dict):
            if len(container_path) == 1 and container_path[0] in NAMED_AS:
                names |= {f'unknown {NAMED_AS[container_path[0]]} "{key}"' for key in keys}
            else:
                trimmed.add(format_path(list(container_path)))
            for key in keys:
                container.pop(key, None)
        else:
            return None
    salvaged = PackSource(source.main_file, data, source.locations)
    return Salvage(salvaged, kept, frozenset(names), frozenset(trimmed))


def _has_id(item: Any) -> bool:
    return isinstance(item, dict) and "id" in item


def beyond_structure(
    source: PackSource, exc: ValidationError, check: Callable[[PackSource, RulePack], list[Problem]]
) -> list[Problem]:
    """The problems `check` finds in the rest of a pack whose structure `exc` refused (see above)."""
    errors = exc.errors(include_url=False)
    for parts in (_parts(source.data, errors), _elements(errors)):
        rest = salvage(source, parts) if parts is not None else None
        if rest is None:
            continue
        try:
            pack = RulePack.model_validate(rest.source.data)
        except ValidationError:  # what is left still does not hold together: set aside more
            continue
        return [p for p in (rest.restore(source, p) for p in check(rest.source, pack)) if p is not None]
    return []
