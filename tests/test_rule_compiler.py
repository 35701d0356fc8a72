"""Compiled rules decide exactly as datalogic does, and no string of a pack can become code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import datalogic_py
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.contracts.single_line import NOT_IN_A_LINE
from engine.rules import jsonlogic
from engine.rules.case_context import case_context
from engine.rules.compiled_ops import Unsure
from engine.rules.compiler import compile_expression
from engine.rules.context import RuleContext
from engine.rules.decision import CompiledPack, DecisionRecord, _Datalogic
from engine.rules.loader import PackSource
from engine.rules.pack import RulePack
from engine.rules.simulation import parse_conversations
from engine.rules.validation import validate
from engine.service.pack_files import load_source
from tests.json_equality import same

ROOT = Path(__file__).resolve().parent.parent
PACKS = sorted([*ROOT.glob("rule_packs/*/pack.yaml"), *ROOT.glob("tests/packs/*/pack.yaml")])


# -- random conditions over random data ---------------------------------------------------------

TEXTS = [
    "",
    "x",
    "Refund",
    "refund please",
    "STRASSE",
    "straße",
    "0",
    "12",
    "1d",
    "24h",
    "abc1",
    "2026-01-01T00:00:00Z",
    "2026-01-01T01:00:00+01:00",
    "İ",
    "i̇",
    "é",
    "z",
    "vip",
    "null",
    "true",
]
NUMBERS = [0, 1, -1, 2, 0.0, 1.0, 0.5, -2.5, 2**53, 2**53 + 1, 2**60, 1e16]
SCALARS = st.one_of(st.sampled_from(TEXTS), st.sampled_from(NUMBERS), st.booleans(), st.none())
VALUES = st.one_of(
    SCALARS, st.lists(SCALARS, max_size=4), st.dictionaries(st.sampled_from(["k", "x"]), SCALARS, max_size=2)
)
KEYS = ["a", "b", "c", "d", "t"]
DATA = st.fixed_dictionaries({k: VALUES for k in KEYS}, optional={"e": VALUES})
PATTERNS = ["refund", "^x", r"\d+", "(a+)+$", "[", "ß", r"\bvip\b"]


def _var() -> st.SearchStrategy[Any]:
    path = st.sampled_from([*KEYS, "e", "a.0", "a.k", "a.01", "missing", "b.x"])
    return st.one_of(
        path.map(lambda p: {"var": p}),
        st.tuples(path, SCALARS).map(lambda pd: {"var": [pd[0], pd[1]]}),
    )


LEAVES = st.one_of(_var(), SCALARS, st.lists(st.sampled_from(TEXTS), max_size=3))


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    two = st.lists(children, min_size=2, max_size=2)
    return st.one_of(
        st.tuples(st.sampled_from(["==", "!=", "===", "!==", ">", ">=", "in"]), two).map(
            lambda t: {t[0]: t[1]}
        ),
        st.tuples(st.sampled_from(["<", "<="]), st.lists(children, min_size=2, max_size=3)).map(
            lambda t: {t[0]: t[1]}
        ),
        st.tuples(st.sampled_from(["!", "!!"]), children).map(lambda t: {t[0]: t[1]}),
        st.tuples(st.sampled_from(["and", "or", "if"]), st.lists(children, max_size=4)).map(
            lambda t: {t[0]: t[1]}
        ),
        st.tuples(children, st.lists(st.sampled_from(TEXTS), max_size=3)).map(
            lambda t: {"contains_any": [t[0], t[1]]}
        ),
        st.tuples(children, st.sampled_from(PATTERNS)).map(lambda t: {"matches": [t[0], t[1]]}),
    )


CONDITIONS = st.recursive(LEAVES, _extend, max_leaves=8)


def datalogic(logic: Any, data: Any) -> tuple[bool, Any]:
    try:
        rule = jsonlogic.compile_condition(logic)
        return True, rule.evaluate_data(datalogic_py.DataHandle(data))
    except BaseException as exc:  # an error (or a panic): compiled code must not answer
        if isinstance(exc, KeyboardInterrupt):
            raise
        return False, None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logic=CONDITIONS, data=DATA)
def test_compiled_conditions_answer_as_datalogic_or_not_at_all(logic: Any, data: dict[str, Any]) -> None:
    ok, expected = datalogic(logic, data)
    expression = compile_expression(logic, custom_operators=True)
    if expression.function is None:
        return
    try:
        got = expression.function(data)
    except Unsure:
        return
    except jsonlogic.BadPattern:  # the rule goes to datalogic, like Unsure
        return
    assert ok, f"datalogic fails on {json.dumps(logic)} with {data}, compiled gave {got!r}"
    assert same(got, expected), f"{json.dumps(logic)} with {data}: compiled {got!r}, datalogic {expected!r}"


def test_the_random_conditions_are_mostly_answered_by_compiled_code() -> None:
    """The property above is not vacuous: a good share of the conditions
    compile and answer (the rest mix types the compiled operators leave to datalogic)."""
    answered = 0
    examples = 0

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(logic=CONDITIONS, data=DATA)
    def count(logic: Any, data: dict[str, Any]) -> None:
        nonlocal answered, examples
        examples += 1
        expression = compile_expression(logic, custom_operators=True)
        if expression.function is not None:
            try:
                expression.function(data)
                answered += 1
            except Exception:  # Unsure, or a bad pattern: datalogic's to answer
                pass

    count()
    assert answered > examples / 4, (answered, examples)


# -- every shipped pack ------------------------------------------------------------------------


SAMPLES = [
    RuleContext.model_validate(case_context(event.event.value, event.context))
    for conversation in parse_conversations(
        (ROOT / "rule_packs" / "samples" / "conversations.jsonl").read_text().splitlines()[:60], "samples"
    )
    for event in conversation.events
]


def decisions(pack: RulePack, contexts: list[RuleContext]) -> tuple[list[Any], list[Any], int]:
    fast, slow = CompiledPack(pack), CompiledPack(pack, compiled=False)
    got = [fast.decide(c).model_dump(mode="json") for c in contexts]
    want = [slow.decide(c).model_dump(mode="json") for c in contexts]
    return got, want, fast.compiled_conditions


@pytest.mark.parametrize("pack_file", PACKS, ids=lambda p: p.parent.name)
def test_every_pack_decides_its_cases_as_datalogic_does(pack_file: Path) -> None:
    pack, problems = validate(load_source(pack_file.parent))
    assert pack is not None and problems == []
    contexts = [RuleContext.model_validate(case_context(c.event.value, c.context)) for c in pack.tests]
    contexts += SAMPLES  # recorded conversations: every event, many texts
    got, want, compiled = decisions(pack, contexts)
    assert got == want
    assert compiled >= sum(r.condition is not None for r in pack.rules) * 0.7  # mostly compiled
    for record in got:  # the record history keeps: the schema it always had, field for field
        assert DecisionRecord.model_validate(record).model_dump(mode="json") == record


def test_a_context_datalogic_would_rewrite_is_decided_by_datalogic(tmp_path: Path) -> None:
    """2**63 is a float to the engine and a NaN a null: such contexts skip the compiled code."""
    pack = RulePack.model_validate(
        {
            "meta": {"name": "t"},
            "rules": [
                {
                    "id": "big",
                    "on": ["conversation.created"],
                    "if": {"==": [{"var": "customer.custom.n"}, 2**63]},
                },
                {"id": "value", "on": ["conversation.created"], "if": {"var": "customer.lifetime_value"}},
            ],
        }
    )
    context = RuleContext.model_validate(
        {
            "event": {"type": "conversation.created", "time": "2026-11-23T10:00:00Z"},
            "customer": {"lifetime_value": float("nan"), "custom": {"n": 2**63}},
        }
    )
    got, want, _ = decisions(pack, [context])
    assert got == want
    assert [r["outcome"] for r in got[0]["rules"]] == ["matched", "not_matched"]  # datalogic's reading


def test_the_operation_budget_still_holds_for_compiled_rules() -> None:
    """`in` is charged per element: over a huge list the engine's budget error is the outcome, as before."""
    pack = RulePack.model_validate(
        {
            "meta": {"name": "t"},
            "rules": [
                {
                    "id": "scan",
                    "on": ["conversation.created"],
                    "if": {"in": ["x", {"var": "conversation.tags"}]},
                },
                {
                    "id": "after",
                    "on": ["conversation.created"],
                    "if": {"in": ["x", {"var": "conversation.tags"}]},
                },
            ],
        }
    )
    contexts = [
        RuleContext.model_validate(
            {
                "event": {"type": "conversation.created", "time": "2026-11-23T10:00:00Z"},
                "conversation": {"tags": ["a"] * size + ["x"]},
            }
        )
        for size in (3, 5_000, 150_000)
    ]
    got, want, compiled = decisions(pack, contexts)
    assert compiled == 2 and got == want
    assert [r["outcome"] for r in got[1]["rules"]] == ["matched", "matched"]
    assert [r["outcome"] for r in got[2]["rules"]] == ["error", "error"]
    assert "BudgetExceeded" in got[2]["rules"][0]["error"]


# -- hostile strings ----------------------------------------------------------------------------

MARKER = "pwned-by-pack"


def hostile(marker: Path) -> list[str]:
    touch = f"touch {marker}"
    return [
        f"__import__('os').system('{touch}')",
        f'"); import os; os.system("{touch}") #',
        f"'); import os; os.system('{touch}') #",
        f'"""; __import__(\'os\').system(\'{touch}\'); """',
        f"'''; __import__('os').system('{touch}'); '''",
        f'\\\'); __import__("os").system("{touch}") #',
        f"x\nimport os\nos.system('{touch}')\n",
        f"{{0}} {{0.__class__}} {{__import__('os').system('{touch}')}} %s %(x)s",
        f"\\\\ \\x41 \\u0041 \\N{{LATIN SMALL LETTER A}} \\ntouch {marker}",
        f"``{touch}`` $({touch}) ; {touch} | {touch} && {touch}",
        "é ß İ \u202e\u200b 😀 \ufeff",
        "a" * 20_000,
    ]


def as_pack_name(text: str) -> str:
    """A team's or a tag's name made of hostile text, as a pack may hold it (single_line.py PACK_NAME)."""
    return re.sub(rf"['\"\\\\{NOT_IN_A_LINE}]", "_", text[:64])


def hostile_pack(strings: list[str]) -> dict[str, Any]:
    # Team names as long as a pack may have them (engine/rules/pack.py MAX_TEAM_NAME),
    # and without the quotes and backslashes a pack's team and tag names may not hold (a list query's string).
    names = [as_pack_name(s) for s in strings]
    teams = {f"team-{i}": {} for i in range(len(strings))} | {name: {} for name in names}
    # Templates and notify messages fill {placeholders}: their braces are the validator's to check.
    templates = {s[:200]: {"en": s.replace("{", "(").replace("}", ")")} for s in strings}
    rules = []
    for i, s in enumerate(strings):
        name = s[:200]
        path = s.replace("\\", "/")  # a backslash in a path means something to the engine: not compiled
        rules.append(
            {
                "id": f"hostile-{i}",
                "description": s,
                "on": ["conversation.created", "message.received"],
                "if": {
                    "or": [
                        {"==": [{"var": "message.text"}, s]},
                        {"in": [s, {"var": "conversation.tags"}]},
                        {"in": [{"var": "customer.tier"}, [s, "vip"]]},
                        {"contains_any": [{"var": "message.text"}, [s, s.upper()]]},
                        {"matches": [{"var": "message.subject"}, _escaped(s)[:900]]},
                        {"==": [{"var": f"customer.custom.{path}"}, s]},
                        {"!": {"in": [{"var": [f"customer.custom.{path}", s]}, [s]]}},
                    ]
                },
                "then": [
                    {"add_tags": [names[i]]},
                    {"route": names[i]},
                    {"reply": {"template": name}},
                    {"notify": {"team": names[i], "message": s[:2000].replace("{", "(").replace("}", ")")}},
                    {"add_note": {"text": s[:5000].replace("{", "(").replace("}", ")")}},  # filled as notify
                ],
            }
        )
    return {
        "meta": {"name": "hostile", "description": "\n".join(strings)},
        "teams": teams,
        "templates": templates,
        "rules": rules,
    }


def _escaped(text: str) -> str:
    """A pattern matching `text` literally (RE2 syntax)."""
    return "".join(c if c.isalnum() or c == " " else "\\" + c if c.isascii() else c for c in text)


def test_no_string_of_a_pack_becomes_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / MARKER
    strings = hostile(marker)
    source = PackSource(main_file=tmp_path / "pack.yaml", data=hostile_pack(strings))
    pack, problems = validate(source)
    assert pack is not None and problems == []
    contexts = []
    for event in ("conversation.created", "message.received"):
        for s in strings:
            contexts.append(
                RuleContext.model_validate(
                    case_context(
                        event,
                        {
                            "message": {"text": s, "subject": s},
                            "conversation": {"tags": [s]},
                            "customer": {"tier": s, "custom": {s: s}},
                        },
                    )
                )
            )
    got, want, compiled = decisions(pack, contexts)
    assert compiled == len(strings) * 2  # every condition compiled, in both events
    sent_to_datalogic: list[int] = []
    outcome = _Datalogic.outcome
    monkeypatch.setattr(
        _Datalogic, "outcome", lambda self, i: sent_to_datalogic.append(i) or outcome(self, i)
    )
    fast = CompiledPack(pack)
    assert [fast.decide(c).model_dump(mode="json") for c in contexts] == got
    assert sent_to_datalogic == []  # and every one was answered by the compiled code
    assert got == want
    for k, decision in enumerate(got):  # the context made for string k matches rule k
        own = k % len(strings)
        assert f"hostile-{own}" in [r["id"] for r in decision["rules"] if r["outcome"] == "matched"]
        assert {"type": "add_tags", "value": [as_pack_name(strings[own])]} in [
            a["action"] for a in decision["actions"]
        ]
    assert not marker.exists()
    assert not any(MARKER in p.name for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("une re\u0301clamation", "réclamation"),  # a Mac mail client's decomposed é
        ("une réclamation", "re\u0301clamation"),  # a pack written so
        ("\uff52\uff45\uff46\uff55\uff4e\uff44 please", "refund"),  # full-width letters
        ("DAS IST ÜBEL", "übel"),
        ("die STRASSE", "straße"),
    ],
)
def test_a_keyword_matches_whatever_unicode_form_either_is_written_in(text: str, keyword: str) -> None:
    """`contains_any` compared code points after case-folding: "réclamation" typed on a Mac did not
    match a pack's "réclamation" (helper-114). Compiled or not, the same answer."""
    logic = {"contains_any": [{"var": "message.text"}, [keyword]]}
    data = {"message": {"text": text}}
    expression = compile_expression(logic, custom_operators=True)
    assert expression.function is not None and expression.function(data) is True
    assert datalogic(logic, data) == (True, True)
