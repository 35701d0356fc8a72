"""How the customer feels, as a score in [-1, 1] and a label.

English is scored by VADER (vaderSentiment: a maintained rule-based lexicon scorer that knows
negation, intensifiers, capitals and punctuation). Other languages use the pack's own lexicon:
word -> valence on VADER's scale (-4 to 4), a preceding negation word flips a valence, and the sum
is squashed into [-1, 1] with VADER's normalisation, so both read the same. A language with
neither gets no sentiment (None): a guess from English words would be noise.
"""

from __future__ import annotations

import functools
import math
import threading
import unicodedata
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
        said = words(text)
        negators = {w for n in negations for w in words(n)}
        for at, valence in _matches(said, _entries(tuple(lexicon.items()))):
            total += -valence if at > 0 and said[at - 1] in negators else valence
        value = round(total / math.sqrt(total * total + NORMALISE), 4)
        return Sentiment(score=value, label=label_of(value), source=f"lexicon:{language}")
    if language == "en":
        value = round(float(_analyzer().polarity_scores(text)["compound"]), 4)
        return Sentiment(score=value, label=label_of(value), source="vader")
    return None


@dataclass(frozen=True)
class _Entries:
    """A lexicon as the message's words are read: keys case-folded and NFKC-normalised as words()
    reads a message ("Katastrophe", "scheiße" matched nothing), phrases as word sequences ("en
    colère" matched nothing), and keys in a script written without spaces (最悪) found inside a
    word ("最悪です" is one word to `\\w+`)."""

    phrases: dict[tuple[str, ...], float]
    longest: int
    unspaced: dict[str, float]


UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


@functools.lru_cache(maxsize=64)
def _entries(items: tuple[tuple[str, float], ...]) -> _Entries:
    phrases: dict[tuple[str, ...], float] = {}
    unspaced: dict[str, float] = {}
    for key, valence in items:
        parts = tuple(words(key))
        if len(parts) == 1 and _unspaced(parts[0]):
            unspaced[parts[0]] = valence
        elif parts:
            phrases[parts] = valence
    return _Entries(phrases, max((len(p) for p in phrases), default=0), unspaced)


def _matches(said: list[str], entries: _Entries) -> list[tuple[int, float]]:
    """(position, valence) of every entry in the words, the longest phrase at a place first (a
    phrase counts once, from where it begins)."""
    found = []
    at = 0
    while at < len(said):
        for length in range(min(entries.longest, len(said) - at), 0, -1):
            valence = entries.phrases.get(tuple(said[at : at + length]))
            if valence is not None:
                found.append((at, valence))
                at += length
                break
        else:
            word = said[at]
            found += [(at, v) for key, v in entries.unspaced.items() for _ in range(word.count(key))]
            at += 1
    return found


def _unspaced(word: str) -> bool:
    """A word of a script written without spaces between words (Han, kana, Thai...)."""
    return any(unicodedata.name(c, "").startswith(UNSPACED_SCRIPTS) for c in word)
