"""Rule packs an attacker would send: nested aliases, deep nesting, packs that take long to run."""

from __future__ import annotations

import json


def billion_laughs(levels: int = 7, fan_out: int = 9) -> str:
    """A few hundred bytes of YAML whose aliases expand to fan_out**levels strings."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fan_out)}]")
    lines.append("meta: {name: laughs}")
    lines.append(f"rules: [{{id: r, on: [message.received], if: {{in: [x, *a{levels - 1}]}}}}]")
    return "\n".join(lines) + "\n"


def deep_condition(levels: int = 10_000) -> dict:
    """A rule whose condition nests `levels` deep: {"!": {"!": ... true}}."""
    condition: object = True
    for _ in range(levels):
        condition = {"!": condition}
    return {"meta": {"name": "deep"}, "rules": [{"id": "r", "on": ["message.received"], "if": condition}]}


def deep_yaml(levels: int = 10_000) -> str:
    """The same rule as YAML flow text (the only way to write it: block style would be gigabytes)."""
    condition = '{"!": ' * levels + "true" + "}" * levels
    return f"meta: {{name: deep}}\nrules:\n  - id: r\n    on: [message.received]\n    if: {condition}\n"


def deep_json_body(levels: int = 10_000) -> str:
    """A request body with the deep rule as a JSON object: too deep for Python's json to decode."""
    condition = '{"!": ' * levels + "true" + "}" * levels
    return (
        '{"pack": {"meta": {"name": "deep"}, "rules": [{"id": "r", "on": ["message.received"], "if": '
        + condition
        + "}]}}"
    )


def slow_pack(rules: int = 400, cases: int = 4000) -> dict:
    """Valid and within every cap, but its test cases take far longer than any time limit to run."""
    return {
        "meta": {"name": "slow"},
        "rules": [
            {"id": f"r{i}", "on": ["message.received"], "if": {"in": [f"w{i}", {"var": "message.text"}]}}
            for i in range(rules)
        ],
        "tests": [
            {"name": f"t{i}", "event": "message.received", "context": {}, "expect": {"matched": []}}
            for i in range(cases)
        ],
    }


def as_body(pack: object) -> str:
    return json.dumps({"pack": pack})
