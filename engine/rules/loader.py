"""Parsing a pack's YAML (or JSON) text into data plus where each element stands (file and line).

The lines let every problem the validator finds point ops at the line to fix. Reading the files
themselves is engine/service/pack_files.py: nothing in engine/rules touches the disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from engine import yaml12

MAX_PACK_BYTES = 2 * 1024 * 1024
"""Largest pack document (YAML or JSON text). The biggest pack allowed (MAX_RULES rules with test
cases) fits well inside; anything larger only costs parse time and memory."""

MAX_NODES = 200_000
"""Elements of a pack (every mapping, sequence, key and scalar) once aliases are expanded. Counting
expansions, not text, is what stops a "billion laughs": a few hundred bytes of nested aliases expand
to millions of elements that validation, hashing and storage would each walk (17 s and 400 MB on the
event loop were reported). A pack of MAX_RULES rules is well under this."""

MAX_ALIASES = 100
"""Alias uses (`*name`) in one document: packs use a few to share an action list; more is abuse."""

MAX_DEPTH = 100
"""Nesting of a pack's document. Conditions are limited to jsonlogic.MAX_DEPTH (64) below
`rules[i].if`; nothing else in a pack is nearly as deep. The cap keeps every recursive walker (the YAML
constructor, pydantic, the JSON-logic compiler, json) far from Python's recursion limit, where a
10,000-deep rule used to end in a RecursionError (a 500 from the API, a traceback from the CLI)."""

LIMITS = yaml12.Limits(max_nodes=MAX_NODES, max_aliases=MAX_ALIASES, max_depth=MAX_DEPTH)


def format_path(parts: Sequence[str | int]) -> str:
    """('rules', 3, 'if', 'and', 1) -> 'rules[3].if.and[1]'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    file: Path | None = None
    line: int | None = None
    code: str = "invalid"
    """What kind of mistake, stable for tools (`rules check` reports it as its finding's code)."""

    def __str__(self) -> str:
        where = (
            f"{self.file}:{self.line}: "
            if self.file and self.line
            else (f"{self.file}: " if self.file else "")
        )
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class PackLoadError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass
class PackSource:
    """A pack's raw data plus the file and line of each element."""

    main_file: Path
    data: dict[str, Any]
    locations: dict[str, tuple[Path, int]] = field(default_factory=dict)

    def locate(self, path: str) -> tuple[Path | None, int | None]:
        """The nearest recorded location at or above `path`."""
        probe = path
        while probe:
            if probe in self.locations:
                return self.locations[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return (self.main_file, None)

    def problem(self, path: str, message: str, code: str = "invalid") -> Problem:
        file, line = self.locate(path)
        return Problem(path, message, file, line, code)


def parse(text: str, file: Path, prefix: list[str | int], locations: dict[str, tuple[Path, int]]) -> Any:
    """YAML (or JSON) text within the limits above; PackLoadError names the path and line otherwise.

    Read in one pass (engine/yaml12.py): YAML's extra types come out as JSON has them, so a YAML
    pack means what the same JSON pack means. Dates become ISO strings (calendars read both; the
    canonical content stored them so already), non-string keys their JSON text; binary and set
    values and NaN have no JSON form and are refused.
    """
    try:
        document = yaml12.load_bounded(text, LIMITS, root=format_path(prefix))
    except (yaml12.LimitExceeded, yaml12.NotJson) as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise PackLoadError([Problem(exc.path, str(exc.problem), file, line)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise PackLoadError(
            [Problem("", f"not valid YAML: {reason}", file, mark.line + 1 if mark else None)]
        ) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of more digits than Python converts
        raise PackLoadError([Problem("", f"not valid YAML: {exc}", file)]) from None
    for path, line in document.lines.items():
        locations.setdefault(path, (file, line))
    return document.data


def nesting_problem(data: Any, max_depth: int = MAX_DEPTH, max_nodes: int | None = None) -> Problem | None:
    """Where data (e.g. decoded JSON) is nested deeper than `max_depth` or passes `max_nodes` elements.

    Walked without recursion, so any depth is safe to look at. Shared sub-objects count once per
    place they appear, as aliases do in YAML.
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    nodes = 0
    while stack:
        value, path = stack.pop()
        nodes += 1
        if max_nodes is not None and nodes > max_nodes:
            return Problem(format_path(path), f"more than {max_nodes} elements")
        if len(path) > max_depth:
            return Problem(format_path(path), f"nested deeper than {max_depth} levels")
        if isinstance(value, dict):
            stack.extend((v, (*path, str(k))) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(value))))
    return None


def load_object(data: dict[str, Any], name: str = "<pack>") -> PackSource:
    """A pack given as a JSON object (e.g. in an HTTP request), within the same limits as YAML."""
    if problem := nesting_problem(data, MAX_DEPTH, MAX_NODES):
        raise PackLoadError([replace(problem, file=Path(name))])
    return PackSource(Path(name), data)


def load_text(text: str, name: str = "pack.yaml") -> PackSource:
    """A pack given as YAML (or JSON) text, e.g. in an HTTP request; `name` labels its lines."""
    if len(text.encode()) > MAX_PACK_BYTES:
        raise PackLoadError([Problem("", f"pack larger than {MAX_PACK_BYTES} bytes")])
    locations: dict[str, tuple[Path, int]] = {}
    data = parse(text, Path(name), [], locations)
    if not isinstance(data, dict):
        raise PackLoadError([Problem("", "a pack is a mapping with meta and rules", Path(name))])
    return PackSource(Path(name), data, locations)
