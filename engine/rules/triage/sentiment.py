"""How the customer feels, as a score in [-1, 1] and a label.

English is scored by VADER (vaderSentiment: a maintained rule-based lexicon scorer that knows
negation, intensifiers, capitals and punctuation). Other languages use the pack's own lexicon:
word -> valence on VADER's scale (-4 to 4), a preceding negation word flips a valence, and the sum
is squashed into [-1, 1] with VADER's normalisation, so both read the same. A language with
neither gets no sentiment (None): a guess from English words would be noise.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from engine.rules.triage.features import words

POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's own thresholds for its compound score
NORMALISE = 15.0
_LOCK = threading.Lock()
_vader: list[Any] = []


@dataclass(frozen=True, kw_only=True)
class Sentiment:
    score: float
    label: str
    source: str


def label_of(score: float) -> str:
    return "positive" if score >= POSITIVE else "negative" if score <= NEGATIVE else "neutral"


def _analyzer() -> Any:
    """VADER's analyser, loaded once per process (its lexicon file takes ~45 ms)."""
    with _LOCK:
        if not _vader:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

            _vader.append(SentimentIntensityAnalyzer())
        return _vader[0]


def score(
    text: str, language: str | None, lexicon: dict[str, float] | None, negations: list[str]
) -> Sentiment | None:
    """The message's sentiment in `language`; the pack's lexicon wins over VADER when it has one."""
    if lexicon:
        total = 0.0
        previous = ""
        negators = {n.casefold() for n in negations}
        for word in words(text):
            valence = lexicon.get(word)
            if valence is not None:
                total += -valence if previous in negators else valence
            previous = word
        value = round(total / math.sqrt(total * total + NORMALISE), 4)
        return Sentiment(score=value, label=label_of(value), source=f"lexicon:{language}")
    if language == "en":
        value = round(float(_analyzer().polarity_scores(text)["compound"]), 4)
        return Sentiment(score=value, label=label_of(value), source="vader")
    return None
