"""Reading a pack in one pass over libyaml's events keeps what packs meant and how they were refused.

The reference is PyYAML's own safe loader with our YAML 1.2 scalars (`yaml12.load`); the one-pass
reader must give the same data from libyaml's C parser and from PyYAML's pure-Python parser (used
only where PyYAML lacks libyaml), and refuse hostile documents with the same clear errors.
"""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import yaml12
from engine.rules.loader import LIMITS, PackLoadError, load_text
from engine.rules.validation import validate
from tests.hostile import billion_laughs, deep_yaml

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(ROOT.glob("rule_packs/**/*.yaml")) + sorted(ROOT.glob("tests/packs/**/*.yaml"))
PARSERS = pytest.mark.parametrize("pure_python", [False, True], ids=["libyaml", "python"])


def test_this_pyyaml_reads_packs_with_libyaml() -> None:
    # The C parser is the point; the Python one is only a fallback. Were it missing here, every
    # "libyaml" case below would silently test the fallback twice.
    assert yaml.__with_libyaml__ and yaml12.C_PARSER is not None


def as_json(value: Any) -> Any:
    """The reference loader's data as a pack holds it: dates as ISO strings, keys as JSON text."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else json.dumps(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_pack_reads_alike_from_both_parsers_and_as_the_reference_reads_it(path: Path) -> None:
    assert SHIPPED, "no packs found"
    text = path.read_text()
    from_c = yaml12.load_bounded(text, LIMITS)
    from_python = yaml12.load_bounded(text, LIMITS, pure_python=True)
    assert from_c == from_python  # data and the line of every element
    assert from_c.data == as_json(yaml12.load(text))
    rows = text.splitlines()
    if isinstance(from_c.data, dict):
        assert all(rows[from_c.lines[key] - 1].startswith(f"{key}:") for key in from_c.data)
    else:  # a tests file may be the list of cases alone
        assert rows[from_c.lines["[0]"] - 1].lstrip().startswith("- ")


@PARSERS
@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("on", "on"),
        ("yes", "yes"),
        ("no", "no"),
        ("off", "off"),
        ("y", "y"),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("12:30", "12:30"),
        ("08:00", "08:00"),
        ("0o17", "0o17"),
        ("017", 15),
        ("0x1F", 31),
        ("0b101", 5),
        ("1_000", 1000),
        ("-12", -12),
        ("+12", 12),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("~", None),
        ("null", None),
        ("", None),
        ("2026-01-01", "2026-01-01"),
        ("2026-01-05 10:00:00", "2026-01-05T10:00:00"),
        ('"true"', "true"),
        ("'017'", "017"),
        ("!!str 12", "12"),
        ("[08:00, on]", ["08:00", "on"]),
    ],
)
def test_scalars_read_as_yaml_1_2_and_as_the_reference_reads_them(
    written: str, read: object, pure_python: bool
) -> None:
    text = f"v: {written}\n"
    assert yaml12.load_bounded(text, LIMITS, pure_python=pure_python).data == {"v": read}
    assert as_json(yaml12.load(text)) == {"v": read}


@PARSERS
@pytest.mark.parametrize("written", [".inf", "-.inf", ".nan", "1e999"])
def test_numbers_json_cannot_hold_are_refused_naming_path_and_line(written: str, pure_python: bool) -> None:
    with pytest.raises(yaml12.NotJson) as err:
        yaml12.load_bounded(
            f"meta: {{name: x}}\nsettings:\n  v: {written}\n", LIMITS, pure_python=pure_python
        )
    assert err.value.path == "settings.v" and err.value.problem_mark.line + 1 == 3


@PARSERS
@pytest.mark.parametrize(
    ("text", "path", "line", "message"),
    [
        (billion_laughs(), "a5[1]", 6, "more than 200000 elements once aliases are expanded"),
        (deep_yaml(), "rules[0].if.!.!.!.!", 5, "nested deeper than 100 levels"),
        # mappings as keys of mappings as keys...: PyYAML's composer ended in a RecursionError
        ("{" * 3000 + "}" * 3000, "", 1, "nested deeper than 100 levels"),
        ("a: &a [1, *a]\n", "a[1]", 1, "alias *a refers to a node that contains it"),
        ("a: &a x\nb: [" + ", ".join(["*a"] * 101) + "]\n", "b[100]", 2, "more than 100 aliases"),
    ],
)
def test_hostile_documents_are_refused_at_the_first_element_over_a_limit(
    text: str, path: str, line: int, message: str, pure_python: bool
) -> None:
    with pytest.raises(yaml12.LimitExceeded) as err:
        yaml12.load_bounded(text, LIMITS, pure_python=pure_python)
    assert (err.value.path.startswith(path), err.value.problem) == (True, message)
    assert err.value.problem_mark.line + 1 == line


@PARSERS
@pytest.mark.parametrize(
    ("text", "path", "line", "first"),
    [
        # A second `rules:` replaced the first without a word: 18 rules gone, the pack "ok: 1 rules".
        ("rules:\n  - id: a\nsettings: {}\nrules:\n  - id: only\n", "rules", 4, 1),
        (
            "rules:\n  - id: a\n    then: [{add_tags: [x]}]\n    then: [{add_tags: [y]}]\n",
            "rules[0].then",
            4,
            3,
        ),
        (
            "settings: {survey_delay_minutes: 5, survey_delay_minutes: 60}\n",
            "settings.survey_delay_minutes",
            1,
            1,
        ),
    ],
)
def test_a_duplicate_key_is_refused_naming_both_lines(
    text: str, path: str, line: int, first: int, pure_python: bool
) -> None:
    with pytest.raises(yaml12.NotJson) as err:
        yaml12.load_bounded(text, LIMITS, pure_python=pure_python)
    assert (err.value.path, err.value.problem_mark.line + 1) == (path, line)
    assert f"duplicate key (first at line {first})" in str(err.value)


@PARSERS
def test_merged_keys_are_not_duplicates_of_the_mappings_own(pure_python: bool) -> None:
    text = "base: &b {x: 1}\none: {<<: *b, x: 2}\n"
    assert yaml12.load_bounded(text, LIMITS, pure_python=pure_python).data["one"] == {"x": 2}


def test_a_syntax_error_further_down_is_reported_before_an_unreadable_value() -> None:
    with pytest.raises(PackLoadError) as err:
        load_text("meta: !!binary aGVsbG8=\nrules: [1, 2\n")
    assert [(p.line, p.message.split(":")[0]) for p in err.value.problems] == [(3, "not valid YAML")]
    with pytest.raises(PackLoadError) as err:
        load_text("meta: !!binary aGVsbG8=\nrules: []\n")
    assert [str(p) for p in err.value.problems] == [
        "pack.yaml:1: meta: a bytes value has no JSON form: use a string or list"
    ]


@PARSERS
def test_merge_keys_and_aliases_mean_what_pyyaml_made_of_them(pure_python: bool) -> None:
    text = textwrap.dedent("""\
        a: &a {x: 1, y: 1}
        b: &b {x: 2, z: 2}
        one: {<<: *a, y: 3}
        many: {<<: [*a, *b], w: 0}
        list: &l [1, {k: v}]
        again: *l
        """)
    data = yaml12.load_bounded(text, LIMITS, pure_python=pure_python).data
    assert data == as_json(yaml12.load(text))
    assert data["one"] == {"x": 1, "y": 3} and data["many"] == {"x": 1, "z": 2, "y": 1, "w": 0}
    data["again"][1]["k"] = "changed"  # an alias is its own copy, as the same JSON would be
    assert data["list"] == [1, {"k": "v"}]


def test_a_problem_inside_an_aliased_list_names_the_anchored_original_line() -> None:
    pack = textwrap.dedent("""\
        meta: {name: t}
        teams: {billing: {}}
        rules:
          - id: a
            on: [message.received]
            then: &shared
              - route: nowhere
          - id: b
            on: [message.received]
            then: *shared
        """)
    _, problems = validate(load_text(pack))
    assert [str(p) for p in problems] == [
        'pack.yaml:7: rules[0].then[0].route: unknown team "nowhere"',
        'pack.yaml:7: rules[1].then[0].route: unknown team "nowhere"',
    ]


def condition_pack(condition: object) -> str:
    rule = {"id": "r", "on": ["message.received"], "if": condition}
    return json.dumps({"meta": {"name": "t"}, "rules": [rule]})


def test_conditions_are_checked_in_one_walk_with_iterators_scoping_var() -> None:
    tags = {"var": "conversation.tags"}
    condition = {
        "and": [
            {"some": [tags, {"==": [{"var": ""}, "vip"]}]},  # "" is the current tag: not a context path
            {"map": [{"var": "conversation.tagz"}, {"var": "nothing.here"}]},
            {"contains_any": [{"var": "message.text"}]},
            {"matches": [{"var": "message.text"}, "(unclosed"]},
        ]
    }
    _, problems = validate(load_text(condition_pack(condition)))
    found = {p.path: p.message for p in problems}
    assert set(found) == {
        "rules[0].if.and[1].map[0].var",
        "rules[0].if.and[2].contains_any",
        "rules[0].if.and[3].matches[1]",
    }
    assert found["rules[0].if.and[1].map[0].var"].startswith('"conversation.tagz" is not in the rule context')
    assert found["rules[0].if.and[2].contains_any"] == "contains_any takes 2 arguments, not 1"


def test_a_condition_too_large_or_too_deep_gets_one_problem() -> None:
    large = {"in": [{"var": "message.text"}, ["w"] * 5000]}
    _, problems = validate(load_text(condition_pack(large)))
    assert [(p.path, p.message) for p in problems] == [("rules[0].if", "condition larger than 5000 elements")]
    deep: object = {"var": "message.text"}
    for _ in range(64):
        deep = {"!": deep}
    _, problems = validate(load_text(condition_pack(deep)))
    assert [(p.path, p.message) for p in problems] == [("rules[0].if", "nested deeper than 64 levels")]
