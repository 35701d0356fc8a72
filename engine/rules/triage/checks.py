"""What the validator checks of a pack's triage: languages lingua knows, intents the tests name,
lexicon valences on VADER's scale, and the quality gate (cross-validated precision and recall)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.rules.pack import RulePack
from engine.rules.references import UNKNOWN_REFERENCE
from engine.rules.triage.language import supported
from engine.rules.triage.triager import weak_intents

WEAK_INTENT = "weak-intent"
"""An intent below the pack's `triage.min_precision` or `triage.min_recall`: publishing refuses it."""
MAX_EXAMPLES = 2000


def triage_problems(pack: RulePack) -> Iterator[tuple[str, str, str]]:
    """(path, message, code) of every triage mistake; the gate last, since it trains."""
    settings = pack.triage
    if settings is not None:
        for i, lang in enumerate(settings.languages or []):
            if not supported(lang):
                yield f"triage.languages[{i}]", f'"{lang}" is not a language the detector knows', "invalid"
        for lang, lexicon in settings.sentiment_lexicons.items():
            for word, valence in lexicon.words.items():
                if not -4 <= valence <= 4:
                    path = f"triage.sentiment_lexicons.{lang}.words.{word}"
                    yield path, "a valence is between -4 and 4 (VADER's scale)", "invalid"
    total = 0
    for name, intent in pack.intents.items():
        for lang, sentences in intent.examples.items():
            total += len(sentences)
            if not supported(lang):
                yield (
                    f"intents.{name}.examples.{lang}",
                    f'"{lang}" is not a language the detector knows',
                    "invalid",
                )
            if not any(s.strip() for s in sentences):
                yield f"intents.{name}.examples.{lang}", "needs at least one example sentence", "invalid"
    if total > MAX_EXAMPLES:
        yield "intents", f"{total} example sentences: a pack holds at most {MAX_EXAMPLES}", "invalid"
        return
    for i, case in enumerate(pack.tests):
        if case.expect.intent is not None and case.expect.intent not in pack.intents:
            yield f"tests[{i}].expect.intent", f'unknown intent "{case.expect.intent}"', UNKNOWN_REFERENCE
    for i, rule in enumerate(pack.rules):
        for where, value in _intents_compared(rule.condition, f"rules[{i}].if"):
            if value not in pack.intents:
                declared = ", ".join(sorted(pack.intents)) or "none"
                yield where, f'unknown intent "{value}" (the pack declares: {declared})', UNKNOWN_REFERENCE
    for path, message in weak_intents(pack):
        yield path, message, WEAK_INTENT


def _intents_compared(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, value) of every literal `message.intent` is compared with (`==`, `!=`, `in`)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _intents_compared(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    for op, args in node.items():
        here = f"{path}.{op}"
        if op in ("==", "!=", "===", "!==", "in") and isinstance(args, list) and len(args) == 2:
            var, other = (args[0], args[1]) if _is_intent(args[0]) else (args[1], args[0])
            if _is_intent(var):
                values = other if op == "in" and isinstance(other, list) else [other]
                yield from ((here, v) for v in values if isinstance(v, str))
                continue
        yield from _intents_compared(args, here)


def _is_intent(node: Any) -> bool:
    if not isinstance(node, dict) or list(node) != ["var"]:
        return False
    ref = node["var"]
    return bool((ref[0] if isinstance(ref, list) and ref else ref) == "message.intent")
