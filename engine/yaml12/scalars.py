"""YAML 1.2 scalars on PyYAML: which plain scalar is a bool, an int, a float (the rest as PyYAML).

YAML 1.1 reads `on`, `yes`, `no`, `off` as booleans, `12:30` as 750 (base 60) and `0o17` as a
string; YAML 1.2 (and so a pack) reads the first two as strings. Only true/false (any case) are
booleans here, integers are decimal, 0x hex, 0b binary or 0-prefixed octal, and floats include
.inf/.nan; null, timestamps and merge keys are PyYAML's.
"""

from __future__ import annotations

import re

import yaml

BOOL, INT, FLOAT = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_12 = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT_12 = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+)$"
)


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader (pure Python) with YAML 1.2 scalars: trusted files, and the reference
    the bounded reader is tested against."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (BOOL, INT, FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(BOOL, _BOOL_12, list("tTfF"))
Yaml12Loader.add_implicit_resolver(INT, _INT_12, list("-+0123456789"))
Yaml12Loader.add_implicit_resolver(FLOAT, _FLOAT_12, list("-+0123456789."))

# PyYAML's Resolver.resolve for a plain scalar as one lookup by its first character ("" when empty):
# the first (tag, pattern) that matches gives its tag, none its a string.
WILDCARD_RESOLVERS = tuple(Yaml12Loader.yaml_implicit_resolvers.get(None, []))
PLAIN_RESOLVERS = {
    first: tuple(resolvers) + WILDCARD_RESOLVERS
    for first, resolvers in Yaml12Loader.yaml_implicit_resolvers.items()
    if first is not None
}
