"""One customer message in, its language, intent and sentiment out: the triage record.

The record goes into the decision (the trail shows it: scores, the model's hash, the words that
weighed most) and its headline values into the rule context as `message.language`,
`message.language_confidence`, `message.intent`, `message.intent_confidence`, `message.sentiment`
and `message.sentiment_label`. It is computed by the `decide` activity, never by workflow code,
so history holds it and replay reads it instead of classifying again.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from engine.rules.pack import RulePack, TriageSettings
from engine.rules.triage.intent_model import IntentModel
from engine.rules.triage.language import detect, supported, warm
from engine.rules.triage.sentiment import score
from engine.rules.triage.training import FOLDS, Example, IntentQuality, cross_validate, examples_of, train

CONTEXT_FIELDS = (
    "language",
    "language_confidence",
    "intent",
    "intent_confidence",
    "sentiment",
    "sentiment_label",
)
"""The record's keys the rule context carries under `message.`."""
TRIAGE_CHARS = 5_000
"""What triage reads of a message: its first characters. What a customer wants is said first (a
pasted log or a forwarded thread follows), and VADER's sentiment grows with the square of the text:
a 99,000-character message (the API takes 100,000) took minutes, its `decide` timed out at every
attempt for ever and held the worker's threads from every other conversation (helper-122). At
5,000 characters, about 0.05 s."""


def trained_model(pack: RulePack) -> IntentModel | None:
    """The pack's intent model trained here (None without intents): deterministic, see training.py."""
    if not pack.intents:
        return None
    return _trained(tuple(examples_of(pack.intent_examples())))


def intent_quality(pack: RulePack) -> list[IntentQuality] | None:
    """Cross-validated precision and recall per intent (None: too few examples to hold any out)."""
    return _quality(tuple(examples_of(pack.intent_examples())))


# Validating, testing and publishing one pack train the same examples several times in a process:
# the results are pure functions of the examples, so they are kept (a few, by examples).
@lru_cache(maxsize=16)
def _trained(examples: tuple[Example, ...]) -> IntentModel:
    return train(list(examples))


@lru_cache(maxsize=16)
def _quality(examples: tuple[Example, ...]) -> list[IntentQuality] | None:
    return cross_validate(list(examples))


def weak_intents(pack: RulePack) -> list[tuple[str, str]]:
    """(path, why) for each intent below the pack's required precision or recall."""
    settings = pack.triage
    if (
        not pack.intents
        or settings is None
        or (settings.min_precision is None and settings.min_recall is None)
    ):
        return []
    quality = intent_quality(pack)
    if quality is None:
        return [
            (
                "intents",
                "cannot be measured against triage.min_precision / min_recall: it needs at least two "
                "intents with two example sentences each",
            )
        ]
    weak = []
    for q in quality:
        reasons = []
        if settings.min_precision is not None and (q.precision or 0.0) < settings.min_precision:
            reasons.append(
                f"precision {q.precision:.2f} < triage.min_precision {settings.min_precision}"
                if q.precision is not None
                else "precision none (no held-out example was classified as it)"
            )
        if settings.min_recall is not None and q.recall < settings.min_recall:
            reasons.append(f"recall {q.recall:.2f} < triage.min_recall {settings.min_recall}")
        if reasons:
            weak.append(
                (
                    f"intents.{q.intent}",
                    f"weak intent {q.intent}: cross-validated {' and '.join(reasons)} "
                    f"({q.examples} examples); add example sentences that say it differently, or "
                    + (
                        f"merge it with {q.confused_with}, the intent it is confused with most"
                        if q.confused_with
                        else "merge it with the intent it is confused with"
                    ),
                )
            )
    return weak


def intent_report(pack: RulePack) -> dict[str, Any] | None:
    """What `rules test` shows of the intents: the model, per intent precision and recall, the gate."""
    model = trained_model(pack)
    if model is None:
        return None
    quality = intent_quality(pack) or []
    weak = {path.removeprefix("intents.") for path, _ in weak_intents(pack)}
    settings = pack.triage or TriageSettings()
    smallest = min((q.examples for q in quality), default=0)
    return {
        "model": model.hash,
        "folds": min(FOLDS, smallest),
        "intents": [{**q.as_dict(), "weak": q.intent in weak} for q in quality],
        "gate": {"min_precision": settings.min_precision, "min_recall": settings.min_recall},
    }


def detected_languages(pack: RulePack) -> tuple[str, ...]:
    """What detection chooses among: the languages the pack serves that the detector knows."""
    return tuple(lang for lang in pack.served_languages() if supported(lang))


class Triager:
    """A pack's triage: its languages, its intent model, its lexicons; build once per pack hash."""

    def __init__(self, pack: RulePack, model: IntentModel | None) -> None:
        self.languages = detected_languages(pack)
        self.settings = pack.triage or TriageSettings()
        self.model = model

    def warm(self) -> None:
        """Load the language models now (once per language and process), not at a decision."""
        warm(self.languages)

    def classify(self, text: str) -> dict[str, Any]:
        """The triage record of one message (plain JSON, as history keeps it), of its first
        TRIAGE_CHARS characters."""
        text = text[:TRIAGE_CHARS]
        guess = detect(text, self.languages)
        record: dict[str, Any] = {
            "language": guess.language,
            "language_confidence": guess.confidence,
            "language_scores": guess.scores,
            "intent": None,
            "intent_confidence": None,
        }
        if self.model is not None:
            found = self.model.classify(text, threshold=self.settings.intent_threshold)
            record |= {
                "intent": found.intent,
                "intent_confidence": found.confidence,
                "intent_scores": found.scores,
                "intent_words": [[w, s] for w, s in found.words],
                "intent_model": self.model.hash,
            }
        lexicon = self.settings.sentiment_lexicons.get(guess.language or "")
        feeling = score(
            text,
            guess.language,
            lexicon.words if lexicon else None,
            lexicon.negations if lexicon else [],
        )
        record |= {
            "sentiment": feeling.score if feeling else None,
            "sentiment_label": feeling.label if feeling else None,
            "sentiment_source": feeling.source if feeling else None,
        }
        return record


def context_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The part of a triage record the rule context shows under `message.`."""
    return {key: record.get(key) for key in CONTEXT_FIELDS}
