"""Parsing a pack's YAML (or JSON) text into data plus where each element stands (file and line).

The lines let every problem the validator finds point ops at the line to fix. Reading the files
themselves is engine/service/pack_files.py: nothing in engine/rules touches the disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine import yaml12

MAX_PACK_BYTES = 2 * 1024 * 1024


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

    def problem(self, path: str, message: str) -> Problem:
        file, line = self.locate(path)
        return Problem(path, message, file, line)


def _record(node: yaml.Node, parts: list[str | int], file: Path, out: dict[str, tuple[Path, int]]) -> None:
    out.setdefault(format_path(parts), (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _record(value, [*parts, key.value], file, out)
            out[format_path([*parts, key.value])] = (file, key.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record(item, [*parts, i], file, out)


def parse(text: str, file: Path, prefix: list[str | int], locations: dict[str, tuple[Path, int]]) -> Any:
    try:
        node = yaml12.compose(text)
        data = yaml12.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise PackLoadError(
            [Problem("", f"not valid YAML: {reason}", file, mark.line + 1 if mark else None)]
        ) from None
    if node is not None:
        _record(node, prefix, file, locations)
    return data


def load_text(text: str, name: str = "pack.yaml") -> PackSource:
    """A pack given as YAML (or JSON) text, e.g. in an HTTP request; `name` labels its lines."""
    if len(text.encode()) > MAX_PACK_BYTES:
        raise PackLoadError([Problem("", f"pack larger than {MAX_PACK_BYTES} bytes")])
    locations: dict[str, tuple[Path, int]] = {}
    data = parse(text, Path(name), [], locations)
    if not isinstance(data, dict):
        raise PackLoadError([Problem("", "a pack is a mapping with meta and rules", Path(name))])
    return PackSource(Path(name), data, locations)
