"""Text to features: the words of a message and the character n-grams inside each word.

Character n-grams (3 to 5 letters of the word padded with a space on each side) carry a paraphrase
across inflections and compounds ("Rechnung" / "Rechnungsbetrag", "charged" / "charges"), which a
word list misses; whole words carry the rest. Every feature belongs to exactly one word of the
message, so the classifier's weights add up per word: the trail names the words that weighed most.
Pure and deterministic: the same text gives the same features on every host.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

WORD = re.compile(r"\w+", re.UNICODE)
NGRAMS = (3, 4, 5)
MAX_WORDS = 400
"""Only the first words of a long message count: a classifier needs the opening, not a pasted log."""


def words(text: str) -> list[str]:
    """The message's words, case-folded and NFKC-normalised (digits alone are not words)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [w for w in WORD.findall(folded) if not w.isdigit()][:MAX_WORDS]


def word_features(word: str) -> Iterator[str]:
    """The features one word contributes: itself and its padded character n-grams."""
    yield f"w:{word}"
    padded = f" {word} "
    for n in NGRAMS:
        for i in range(len(padded) - n + 1):
            yield f"c:{padded[i : i + n]}"


def features_by_word(text: str) -> list[tuple[str, list[str]]]:
    """(word, its features) for each word of the text, in order."""
    return [(w, list(word_features(w))) for w in words(text)]
