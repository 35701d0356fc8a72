"""YAML as ops people expect it: YAML 1.2 scalars, read by libyaml's C parser, bounded, as JSON data.

PyYAML follows YAML 1.1, where the key `on:` of a rule becomes the boolean True (so do yes/no/off),
and an unquoted time such as 12:00 becomes the number 720 (base 60). YAML 1.2 dropped both; so do we.

Rule packs arrive from outside, so `load_bounded` reads them in one pass over the parser's events
(no node tree, no second walk over the data): it counts and caps as it goes, resolves scalars the
YAML 1.2 way, builds the JSON data a pack is and notes the line of every element (`_builder.py`).
The events come from libyaml (C); PyYAML's pure-Python parser, which produces the same events, is
used only where PyYAML was built without libyaml. Composing a node tree, constructing data from it
and walking that twice more was most of what loading a pack cost before.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from engine.yaml12._builder import Builder
from engine.yaml12.document import Document, LimitExceeded, Limits, NotJson
from engine.yaml12.scalars import Yaml12Loader

C_PARSER: type | None
try:
    from yaml._yaml import CParser as C_PARSER
except ImportError:  # PyYAML built without libyaml: the pure-Python parser gives the same events
    C_PARSER = None

__all__ = ["Document", "LimitExceeded", "Limits", "NotJson", "Yaml12Loader", "load", "load_bounded"]


def load(text: str) -> Any:
    """Trusted YAML (a calendar file the operator names), as PyYAML types: dates stay dates."""
    return yaml.load(text, Loader=Yaml12Loader)  # a SafeLoader subclass: no arbitrary objects


class _PythonParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python event parser, for a PyYAML built without libyaml (and for tests)."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


def load_bounded(text: str, limits: Limits, *, root: str = "", pure_python: bool = False) -> Document:
    """The document as JSON data within `limits`; paths start at `root` (e.g. "tests").

    Raises LimitExceeded at the first element over a limit, yaml.YAMLError for broken YAML or a
    value that cannot be read (`!!timestamp nonsense`), NotJson for a value JSON has no form for.
    Nothing recurses with the document's depth: a 10,000-deep document is refused, not a crash.
    """
    parser: Any = _PythonParser(text) if pure_python or C_PARSER is None else C_PARSER(text)
    try:
        return Builder(limits, root).run(parser.get_event)
    finally:
        parser.dispose()  # libyaml's buffers (the Python parser's is a no-op)
