"""YAML as ops people expect it: YAML 1.2 scalars on top of PyYAML's safe loader.

PyYAML follows YAML 1.1, where the key `on:` of a rule becomes the boolean True (so do yes/no/off),
and an unquoted time such as 12:00 becomes the number 720 (base 60). YAML 1.2 dropped both; so do we.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from yaml._yaml import CParser
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingEndEvent, SequenceEndEvent
from yaml.resolver import Resolver


class Yaml12Loader(yaml.SafeLoader):
    pass


_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_12 = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT_12 = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+)$"
)

Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_12, list("tTfF"))
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT_12, list("-+0123456789"))
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))


def load(text: str) -> Any:
    return yaml.load(text, Loader=Yaml12Loader)  # a SafeLoader subclass: no arbitrary objects


def compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=Yaml12Loader)


# -- bounded loading (rule packs arrive from outside) -----------------------------------------


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

    def __init__(self, path: list[str | int], message: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=message, problem_mark=mark)
        self.path = path


class _BoundedComposer(Composer):
    """PyYAML's composer, counting as it goes: it stops at the first node over a limit.

    Aliases share the node they refer to, so composing stays cheap; the danger is everything that
    walks the result later (locations, validation, JSON). Each anchored node therefore remembers its
    expanded size, and an alias adds that size to the count. An alias to a node still being composed
    (a cycle) is refused: nothing downstream could walk it.
    """

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits
        self.path: list[str | int] = []
        self.nodes = 0
        self.aliases = 0
        self.expanded: dict[int, int] = {}  # id(anchored node) -> its expanded size, once complete

    if TYPE_CHECKING:  # provided by the parser and resolver this composer is mixed with

        def check_event(self, *choices: type) -> bool: ...
        def get_event(self) -> Any: ...
        def peek_event(self) -> Any: ...
        def resolve(self, kind: type, value: Any, implicit: Any) -> str: ...

    def _over(self, message: str, mark: yaml.Mark | None) -> LimitExceeded:
        return LimitExceeded(list(self.path), message, mark)

    def _count(self, nodes: int, mark: yaml.Mark | None) -> None:
        self.nodes += nodes
        if self.nodes > self.limits.max_nodes:
            raise self._over(f"more than {self.limits.max_nodes} elements once aliases are expanded", mark)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(AliasEvent):
            event = self.get_event()
            node = self.anchors.get(event.anchor)
            if node is None:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            size = self.expanded.get(id(node))
            if size is None:
                raise self._over(f"alias *{event.anchor} refers to a node that contains it", event.start_mark)
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise self._over(f"more than {self.limits.max_aliases} aliases", event.start_mark)
            self._count(size, event.start_mark)
            return node
        event = self.peek_event()
        if len(self.path) > self.limits.max_depth:
            raise self._over(f"nested deeper than {self.limits.max_depth} levels", event.start_mark)
        before = self.nodes
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self.expanded[id(node)] = self.nodes - before
        return node

    def compose_sequence_node(self, anchor: Any) -> yaml.SequenceNode:
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.SequenceNode, None, start.implicit)
        node = yaml.SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        while not self.check_event(SequenceEndEvent):
            self.path.append(len(node.value))
            node.value.append(self.compose_node(node, len(node.value)))
            self.path.pop()
        node.end_mark = self.get_event().end_mark
        return node

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.MappingNode, None, start.implicit)
        node = yaml.MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        while not self.check_event(MappingEndEvent):
            key = self.compose_node(node, None)
            self.path.append(key.value if isinstance(key, yaml.ScalarNode) else "?")
            value = self.compose_node(node, key)
            self.path.pop()
            node.value.append((key, value))
        node.end_mark = self.get_event().end_mark
        return node


class _BoundedLoader(_BoundedComposer, CParser, SafeConstructor, Resolver):
    """libyaml's parser (C: fast, no recursion) under the bounded composer and YAML 1.2 scalars."""

    yaml_implicit_resolvers = Yaml12Loader.yaml_implicit_resolvers

    def __init__(self, text: str, limits: Limits) -> None:
        CParser.__init__(self, text)
        _BoundedComposer.__init__(self, limits)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def load_bounded(text: str, limits: Limits) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data, or LimitExceeded / YAMLError.

    Composed once and constructed from that tree, so the limits hold for both. Construction only
    recurses as deep as `limits.max_depth` allows.
    """
    loader = _BoundedLoader(text, limits)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        try:
            return node, loader.construct_document(node)
        except yaml.YAMLError:
            raise
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
            # PyYAML's constructors trust explicitly tagged values (`!!timestamp nonsense`).
            raise ConstructorError(
                None, None, f"a value cannot be read ({type(exc).__name__})", None
            ) from None
    finally:
        loader.dispose()
