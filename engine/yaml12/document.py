"""What reading a bounded YAML document gives: its data and lines, or which limit it passed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one document may cost; see engine/rules/loader.py for the values and why."""

    max_nodes: int
    """Nodes after expanding every alias: nested aliases multiply, so the count is of expansions."""
    max_aliases: int
    """Alias uses (`*name`) in the document."""
    max_depth: int
    """Nesting of sequences and mappings."""


class LimitExceeded(yaml.MarkedYAMLError):
    """The document is over one of its `Limits`; `path` is where (e.g. `rules[3].if.and[1]`)."""

    def __init__(self, path: str, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=message, problem_mark=mark)
        self.path = path


class NotJson(yaml.MarkedYAMLError):
    """A value JSON cannot hold (binary, a set, NaN or infinity); `path` is where."""

    def __init__(self, path: str, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=message, problem_mark=mark)
        self.path = path


@dataclass(frozen=True)
class Document:
    """A document as JSON data and the 1-based line of each element."""

    data: Any
    """None for an empty document."""
    lines: dict[str, int]
    """`rules[3].then[0]` -> its line; a mapping's entries point at their key's line, aliased
    elements at the anchored original's."""
