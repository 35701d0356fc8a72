"""YAML values as JSON has them: scalars through PyYAML's safe constructors (numbers, timestamps,
explicit tags), YAML's extra types turned into JSON's or refused, and keys written as JSON writes them.

The builder (_builder.py) walks the events and extends this; a problem found here is kept, the first
one only, and raised once the document has been read (a syntax error or a cap further down is
reported first, as PyYAML's constructor did after composing).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import Node, ScalarNode

from engine.yaml12.document import NotJson
from engine.yaml12.scalars import INT

_READ_ERRORS = (ArithmeticError, AttributeError, LookupError, TypeError, ValueError)


class Values:
    """Constructs one document's values; `unreadable` and `not_json` hold its first problems."""

    def __init__(self) -> None:
        self.constructor = SafeConstructor()
        self.unreadable: yaml.YAMLError | None = None
        self.not_json: NotJson | None = None

    def construct(self, tag: str, event: Any, *, deep: bool = True) -> Any:
        """A scalar through PyYAML's safe constructors (numbers, timestamps, explicit tags)."""
        text = event.value
        if tag == INT and text.isdigit() and text[0] != "0":
            try:
                return int(text)
            except ValueError:  # more digits than Python converts
                self.fail(
                    ConstructorError(None, None, "a value cannot be read (ValueError)", event.start_mark)
                )
                return None
        node = ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        return self.construct_node(node, event.start_mark, deep=deep)

    def construct_node(self, node: Node, mark: Any, *, deep: bool = True) -> Any:
        """PyYAML's safe constructor for one node; a failure is kept for the end of the document."""
        try:
            return self.constructor.construct_object(node, deep=deep)
        except yaml.YAMLError as exc:
            self.fail(exc)
        except _READ_ERRORS as exc:  # PyYAML's constructors trust tagged values (`!!timestamp x`)
            self.fail(ConstructorError(None, None, f"a value cannot be read ({type(exc).__name__})", mark))
        return None

    def json_value(self, value: Any, path: str, mark: Any) -> Any:
        """YAML's extra types as JSON has them: dates as ISO strings; binary, sets and NaN refused."""
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, float) and not math.isfinite(value):
            self.refuse(path, "not a finite number (JSON has no NaN or infinity)", mark)
            return None
        if value is None or isinstance(value, str | int | float):
            return value
        self.refuse(path, f"a {type(value).__name__} value has no JSON form: use a string or list", mark)
        return None

    def fail(self, error: yaml.YAMLError) -> None:
        self.unreadable = self.unreadable or error

    def refuse(self, path: str, message: str, mark: Any) -> None:
        self.not_json = self.not_json or NotJson(path, message, mark)


def json_key(key: Any) -> str:
    """A mapping key as JSON writes it: `1:` and `true:` become "1" and "true", dates ISO strings."""
    if isinstance(key, str):
        return key
    if isinstance(key, datetime | date):
        return key.isoformat()
    return json.dumps(key) if key is None or isinstance(key, int | float) else str(key)
