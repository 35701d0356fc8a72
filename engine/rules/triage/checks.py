"""What the validator checks of a pack's triage: languages lingua knows, intents the tests name,
lexicon valences on VADER's scale, and the quality gate (cross-validated precision and recall)."""

from __future__ import annotations

from collections.abc import Iterator

from engine.rules.pack import RulePack
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
            yield f"tests[{i}].expect.intent", f'unknown intent "{case.expect.intent}"', "unknown-reference"
    for path, message in weak_intents(pack):
        yield path, message, WEAK_INTENT
