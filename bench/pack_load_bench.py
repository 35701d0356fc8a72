"""Load + validate of a 200-rule pack, as `convoflow rules validate` and `POST /v1/rules/validate` do:
YAML text to a validated pack (parse, caps, lines, structure, conditions, references, test cases).

The baseline is `json.loads` of the same pack as JSON text, in the same run: what reading the data
alone costs in C, for scale. The goal is absolute (the issue's 100 ms); best of several rounds.
"""

from __future__ import annotations

import json

import yaml

from bench.realistic_pack import realistic_pack as pack_of
from bench.results import Result
from bench.timing import per_call_seconds
from engine.rules.loader import load_object, load_text
from engine.rules.validation import validate

RULES = 200


class _Written(yaml.SafeDumper):
    """Writes shared keyword lists out in full, as an ops team types them: PyYAML would make them
    anchors and aliases, past the loader's cap on aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def load_and_validate(text: str) -> None:
    pack, problems = validate(load_text(text))
    assert pack is not None and not problems, problems[:3]


def load_and_validate_object(data: dict) -> None:
    pack, problems = validate(load_object(data))
    assert pack is not None and not problems, problems[:3]


def main() -> list[Result]:
    pack = pack_of(RULES)
    as_yaml = yaml.dump(pack, Dumper=_Written, sort_keys=False, allow_unicode=True)
    as_json = json.dumps(pack)
    load_and_validate(as_yaml)  # a process that has validated before: imports done, calendars shared
    ms = 1000
    best_of = {"calls": 1, "rounds": 15}  # single calls: the least disturbed by a busy machine
    baseline = per_call_seconds(lambda: json.loads(as_json), **best_of) * ms
    parse = per_call_seconds(lambda: load_text(as_yaml), **best_of) * ms
    total = per_call_seconds(lambda: load_and_validate(as_yaml), **best_of) * ms
    from_object = per_call_seconds(lambda: load_and_validate_object(json.loads(as_json)), **best_of) * ms
    print(f"{RULES}-rule pack: {len(as_yaml) // 1024} KiB of YAML, {len(as_json) // 1024} KiB as JSON")
    return [
        Result(f"pack: load + validate {RULES}-rule pack (YAML)", total, "ms", baseline, goal="< 100 ms"),
        Result(f"pack: load {RULES}-rule pack (YAML: parse, caps, lines)", parse, "ms", baseline),
        Result(
            f"pack: decode + validate {RULES}-rule pack (a JSON request body)", from_object, "ms", baseline
        ),
    ]


if __name__ == "__main__":
    from bench.results import table

    print(table(main()))
