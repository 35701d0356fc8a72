"""One pass over a YAML document's parser events: caps, YAML 1.2 scalars, JSON data and lines.

This replaces composing PyYAML's node tree, constructing Python data from it, walking it for lines
and walking it again to turn it into JSON: each of those was as slow as the parse itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, SequenceNode

from engine.yaml12._values import Values, json_key
from engine.yaml12.document import Document, LimitExceeded, Limits
from engine.yaml12.scalars import BOOL, PLAIN_RESOLVERS, WILDCARD_RESOLVERS

_STR, _NULL, _MAP, _SEQ, _MERGE, _VALUE, _OMAP, _PAIRS = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "null", "map", "seq", "merge", "value", "omap", "pairs")
)
_COLLECTIONS = frozenset({"tag:yaml.org,2002:set", _OMAP, _PAIRS, _MAP, _SEQ})


_NO_KEY: Any = object()  # a mapping waiting for its next key
_MERGING: Any = object()  # a mapping whose next value is a `<<` merge source


class _Open:
    """A mapping or sequence whose end event has not come yet."""

    __slots__ = (
        "anchor",
        "is_map",
        "key",
        "key_path",
        "lines_from",
        "mark",
        "merges",
        "nodes_from",
        "path",
        "tag",
        "value",
    )

    def __init__(self, event: Any, path: str, is_map: bool, nodes_from: int, lines_from: int) -> None:
        self.value: Any = {} if is_map else []
        self.is_map = is_map
        self.path = path
        self.key: Any = _NO_KEY
        self.key_path = ""
        self.merges: list[dict[str, Any]] = []
        self.anchor: str | None = event.anchor
        tag = event.tag
        self.tag: str | None = None if tag is None or tag == "!" or tag == (_MAP if is_map else _SEQ) else tag
        self.mark = event.start_mark
        self.nodes_from = nodes_from
        self.lines_from = lines_from


class Builder(Values):
    """Reads one document's events into a `Document`.

    Aliases: each anchored element remembers its expanded size, and an alias adds that size to the
    count, so a "billion laughs" stops at the first alias past `max_nodes`; an alias to an element
    still open (a cycle) is refused. An alias is a copy (as JSON would have it); its elements' lines
    are the anchored original's.

    Depth counts open collections, keys included, so nothing here or downstream recurses deeper than
    `max_depth` (complex keys nested thousands deep were a RecursionError in PyYAML's composer).

    Problems found while building (an unreadable value, a value without a JSON form) are raised once
    the document has been read, as PyYAML's constructor did after composing: a syntax error or a
    cap further down is reported first.
    """

    def __init__(self, limits: Limits, root: str) -> None:
        super().__init__()
        self.limits = limits
        self.root = root
        self.nodes = 0
        self.aliases = 0
        # anchor -> (data, expanded size, path, line, its elements' span in self.lines), or still open
        self.anchors: dict[str, tuple[Any, int, str, int, int, int] | _Open] = {}
        self.lines: list[tuple[str, int]] = []
        self.data: Any = None

    def run(self, get_event: Callable[[], Any]) -> Document:
        """Read the events of one document (a second document is an error, as in PyYAML)."""
        get_event()  # stream start
        event = get_event()
        if type(event) is StreamEndEvent:
            return Document(None, {})
        # Hot loop (a 200-rule pack is 15,000 events): locals, and the common cases inline.
        stack: list[_Open] = []
        lines = self.lines
        add_line = lines.append
        anchors = self.anchors
        max_depth, max_nodes = self.limits.max_depth, self.limits.max_nodes
        by_first, wildcard = PLAIN_RESOLVERS, WILDCARD_RESOLVERS
        root_mark = None
        top: Any = None
        while True:
            event = get_event()
            kind = type(event)
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                done = stack.pop()
                top = stack[-1] if stack else None
                as_key = top is not None and top.is_map and top.key is _NO_KEY
                self.place(top, self.finish(done, as_key), done.mark, collection=True)
                continue
            if kind is DocumentEndEvent:
                break
            # A node starts (or is an alias): where it stands.
            mark = event.start_mark
            if top is None:
                path, depth, is_key = self.root, 0, False
                root_mark = mark
                add_line((path, mark.line + 1))
            elif not top.is_map:
                path, depth, is_key = f"{top.path}[{len(top.value)}]", len(stack), False
                add_line((path, mark.line + 1))
            elif top.key is _NO_KEY:
                path, depth, is_key = top.path, len(stack) - 1, True
            else:
                path, depth, is_key = top.key_path, len(stack), False
            if kind is AliasEvent:
                self.alias(top, event, path)
                continue
            if depth > max_depth:
                raise LimitExceeded(path, f"nested deeper than {max_depth} levels", mark)
            self.nodes += 1
            if self.nodes > max_nodes:
                raise self.too_many(path, mark)
            anchor = event.anchor
            if anchor is not None and anchor in anchors:
                raise ComposerError(
                    f"found duplicate anchor {anchor!r}; first occurrence", None, "second occurrence", mark
                )
            if kind is not ScalarEvent:  # a mapping or sequence starts
                top = _Open(event, path, kind is MappingStartEvent, self.nodes - 1, len(lines))
                if anchor is not None:
                    anchors[anchor] = top
                stack.append(top)
                continue
            tag, text = event.tag, event.value
            if tag is None or tag == "!":
                tag = _STR
                if event.implicit[0]:  # plain: YAML 1.2's reading (PyYAML's Resolver.resolve)
                    for candidate, regexp in by_first.get(text[:1], wildcard):
                        if regexp.match(text):
                            tag = candidate
                            break
            if is_key:
                if tag == _STR:
                    top.key = value = text
                    top.key_path = key_path = f"{path}.{text}" if path else text
                    if text in top.value:
                        self.duplicate(key_path, mark)
                    add_line((key_path, mark.line + 1))
                else:
                    value = self.key(top, tag, event)
            else:
                if tag == _STR:
                    value = text
                elif tag == _NULL:
                    value = None
                elif tag == BOOL and event.implicit[0]:
                    value = text[0] in "tT"
                else:
                    value = self.json_value(self.construct(tag, event), path, mark)
                if top is None:
                    self.data = value
                elif not top.is_map:
                    top.value.append(value)
                elif top.key is _MERGING:
                    self.merge(top, value, mark)
                    top.key = _NO_KEY
                else:
                    top.value[top.key] = value
                    top.key = _NO_KEY
            if anchor is not None:
                anchors[anchor] = (value, 1, path, mark.line + 1, len(lines), len(lines))
        event = get_event()
        if type(event) is not StreamEndEvent:
            raise ComposerError(
                "expected a single document in the stream",
                root_mark,
                "but found another document",
                event.start_mark,
            )
        if self.unreadable is not None:
            raise self.unreadable
        if self.not_json is not None:
            raise self.not_json
        return Document(self.data, dict(lines))

    # -- collections ------------------------------------------------------------------------------

    def too_many(self, path: str, mark: Any) -> LimitExceeded:
        return LimitExceeded(
            path, f"more than {self.limits.max_nodes} elements once aliases are expanded", mark
        )

    def alias(self, top: _Open | None, event: Any, path: str) -> None:
        name = event.anchor
        entry = self.anchors.get(name)
        if entry is None:
            raise ComposerError(None, None, f"found undefined alias {name!r}", event.start_mark)
        if isinstance(entry, _Open):
            raise LimitExceeded(path, f"alias *{name} refers to a node that contains it", event.start_mark)
        self.aliases += 1
        if self.aliases > self.limits.max_aliases:
            raise LimitExceeded(path, f"more than {self.limits.max_aliases} aliases", event.start_mark)
        value, size, anchored_at, line, lines_from, lines_to = entry
        self.nodes += size
        if self.nodes > self.limits.max_nodes:
            raise self.too_many(path, event.start_mark)
        if top is not None and top.is_map and top.key is _NO_KEY:
            self.set_key(top, value, event.start_mark)
            return
        lines = self.lines
        if top is None or not top.is_map:  # an item stands where its anchored original does
            lines[-1] = (path, line)
        cut = len(anchored_at)
        lines.extend([(path + below[cut:], at) for below, at in lines[lines_from:lines_to]])
        self.place(top, _copy(value), event.start_mark)

    def place(self, top: _Open | None, value: Any, mark: Any, *, collection: bool = False) -> None:
        """Put a finished element into the collection it belongs to (or make it the document)."""
        if top is None:
            self.data = value
            return
        if not top.is_map:
            top.value.append(value)
        elif top.key is _NO_KEY:  # only a mapping or sequence gets here as a key: scalars go to `key`
            self.set_key(top, [] if collection else value, mark)
        elif top.key is _MERGING:
            self.merge(top, value, mark)
            top.key = _NO_KEY
        else:
            top.value[top.key] = value
            top.key = _NO_KEY

    def merge(self, mapping: _Open, value: Any, mark: Any) -> None:
        """`<<: *base` (or a list of them): PyYAML's merge keys, earlier sources and own keys winning."""
        if isinstance(value, dict):
            mapping.merges.append(value)
            return
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            mapping.merges.extend(reversed(value))
            return
        if isinstance(value, list):
            what, item = "a mapping for merging", next(i for i in value if not isinstance(i, dict))
        else:
            what, item = "a mapping or list of mappings for merging", value
        found = "sequence" if isinstance(item, list) else "scalar"
        self.fail(
            ConstructorError(
                "while constructing a mapping", mapping.mark, f"expected {what}, but found {found}", mark
            )
        )

    def finish(self, done: _Open, as_key: bool) -> Any:
        """A mapping or sequence has ended: apply merges and its tag, remember it if anchored.

        As a key it is unhashable; PyYAML says so before completing a set, list or ordered map.
        """
        value = done.value
        if done.merges:
            merged: dict[str, Any] = {}
            for source in done.merges:
                merged.update(source)
            merged.update(value)
            value = merged
        if done.tag is not None and not (as_key and done.tag in _COLLECTIONS):
            value = self.tagged(done, done.tag, value)
        if done.anchor is not None:
            size = self.nodes - done.nodes_from
            line = done.mark.line + 1
            self.anchors[done.anchor] = (value, size, done.path, line, done.lines_from, len(self.lines))
        return value

    def tagged(self, done: _Open, tag: str, value: Any) -> Any:
        """An explicitly tagged collection (`!!set`, `!!omap`, `!!str [..]`, `!foo {..}`) is refused.

        PyYAML's constructor says what the tag means for the collection's kind (given it empty): a
        set has no JSON form, an ordered map is a list of pairs (tuples), anything else an error.
        """
        empty = (MappingNode if done.is_map else SequenceNode)(tag, [], done.mark, done.mark)
        constructed = self.construct_node(empty, done.mark)
        if tag in (_OMAP, _PAIRS) and isinstance(constructed, list):
            if not value:
                return []
            for item in value:
                if not isinstance(item, dict) or len(item) != 1:
                    found = (
                        "mapping"
                        if isinstance(item, dict)
                        else "sequence"
                        if isinstance(item, list)
                        else "scalar"
                    )
                    problem = f"expected a mapping of length 1, but found {found}"
                    self.fail(
                        ConstructorError("while constructing an ordered map", done.mark, problem, done.mark)
                    )
                    return None
            self.refuse(f"{done.path}[0]", "a tuple value has no JSON form: use a string or list", done.mark)
            return None
        return self.json_value(constructed, done.path, done.mark)

    # -- scalars ----------------------------------------------------------------------------------

    def key(self, mapping: _Open, tag: str, event: Any) -> Any:
        """A scalar as the mapping's next key; returns its value, should an alias repeat it."""
        if tag == _MERGE:
            mapping.key = _MERGING
            mapping.key_path = f"{mapping.path}.<<" if mapping.path else "<<"
            return event.value
        if tag == _STR or tag == _VALUE:  # `=` as a key is the string, as PyYAML has it
            self.name_key(mapping, event.value, event.start_mark)
            return event.value
        if tag == _NULL:
            self.name_key(mapping, "null", event.start_mark)
            return None
        key = self.construct(tag, event, deep=False)  # shallow, as PyYAML: `? !!set x` is unhashable
        self.set_key(mapping, key, event.start_mark)
        plain = isinstance(key, bool | int | str) or (isinstance(key, float) and math.isfinite(key))
        return key if plain else mapping.key

    def set_key(self, mapping: _Open, key: Any, mark: Any) -> None:
        if isinstance(key, list | dict | set):
            self.fail(
                ConstructorError("while constructing a mapping", mapping.mark, "found unhashable key", mark)
            )
            key = "?"
        self.name_key(mapping, json_key(key), mark)

    def name_key(self, mapping: _Open, key: str, mark: Any) -> None:
        mapping.key = key
        path = f"{mapping.path}.{key}" if mapping.path else key
        mapping.key_path = path
        if key in mapping.value:
            self.duplicate(path, mark)
        self.lines.append((path, mark.line + 1))

    def duplicate(self, path: str, mark: Any) -> None:
        """A key the mapping has already: YAML's keys are unique. PyYAML kept the last value, so a
        second `rules:` or `then:` dropped the first without a word."""
        first = next(line for at, line in reversed(self.lines) if at == path)
        self.refuse(path, f"duplicate key (first at line {first}): the first value would be lost", mark)


def _copy(value: Any) -> Any:
    """An alias's own copy of the anchored data (its depth is within Limits.max_depth)."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value
