"""How the customer feels, as a score in [-1, 1] and a label.

English is scored by VADER (vaderSentiment: a maintained rule-based lexicon scorer that knows
negation, intensifiers, capitals and punctuation). Other languages use the pack's own lexicon:
word -> valence on VADER's scale (-4 to 4), a preceding negation word flips a valence, and the sum
is squashed into [-1, 1] with VADER's normalisation, so both read the same. A language with
neither gets no sentiment (None): a guess from English words would be noise.
"""

from __future__ import annotations

import math
import re
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
        total = sum(_valences(words(text), _entries(lexicon, negations)))
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
    colère" matched nothing), and keys in a script written without spaces between words (Han,
    kana: 最悪) found inside a word ("最悪です" is one word to `\\w+`), the longest first."""

    phrases: dict[tuple[str, ...], float]
    longest: int
    unspaced: dict[str, float]
    longest_unspaced: int
    negators: frozenset[str]


# Hiragana, katakana, CJK ideographs (and their extension A, compatibility forms).
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_BUILT: dict[int, tuple[dict[str, float], list[str], _Entries]] = {}


def _entries(lexicon: dict[str, float], negations: list[str]) -> _Entries:
    """Built once per lexicon (a pack's, which lives as long as its triager)."""
    built = _BUILT.get(id(lexicon))
    if built is not None and built[0] is lexicon and built[1] is negations:
        return built[2]
    phrases: dict[tuple[str, ...], float] = {}
    unspaced: dict[str, float] = {}
    for key, valence in lexicon.items():
        parts = tuple(words(key))
        if len(parts) == 1 and _unspaced(parts[0]):
            unspaced[parts[0]] = valence
        elif parts:
            phrases[parts] = valence
    negators = frozenset(w for n in negations for w in words(n))
    entries = _Entries(
        phrases,
        max((len(p) for p in phrases), default=0),
        unspaced,
        max((len(k) for k in unspaced), default=0),
        negators,
    )
    if len(_BUILT) > 256:
        _BUILT.clear()
    _BUILT[id(lexicon)] = (lexicon, negations, entries)
    return entries


def _valences(said: list[str], entries: _Entries) -> list[float]:
    """The valence of every entry in the words, a phrase once from where it begins (the longest at
    a place first), flipped after a negation word (or, in a word written without spaces, right after
    a negation inside it: 不满意)."""
    found = []
    at = 0
    while at < len(said):
        for length in range(min(entries.longest, len(said) - at), 0, -1):
            valence = entries.phrases.get(tuple(said[at : at + length]))
            if valence is not None:
                found.append(-valence if at > 0 and said[at - 1] in entries.negators else valence)
                at += length
                break
        else:
            if entries.unspaced and _unspaced(said[at]):
                found += _inside(said[at], entries)
            at += 1
    return found


def _inside(word: str, entries: _Entries) -> list[float]:
    found = []
    i = 0
    while i < len(word):
        for length in range(min(entries.longest_unspaced, len(word) - i), 0, -1):
            valence = entries.unspaced.get(word[i : i + length])
            if valence is not None:
                negated = any(n and word[:i].endswith(n) for n in entries.negators)
                found.append(-valence if negated else valence)
                i += length
                break
        else:
            i += 1
    return found


def _unspaced(word: str) -> bool:
    """A word of a script written without spaces between words (Han, kana)."""
    return UNSPACED.search(word) is not None
