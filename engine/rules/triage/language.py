"""Which of the pack's languages a message is written in, with lingua's confidence.

lingua-language-detector ships its n-gram models in the wheel and runs offline. A detector is built
only for the languages the pack serves (a German pack never answers "Dutch"), once per language set
and process, and shared by every pack with that set: the models of a language load on its first
detection (high-accuracy mode: measured ~95 MB for German and English and 0.1 ms per message;
low-accuracy mode is lighter but gives only 0 or 1 as confidence, which rules could not weigh).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

_BUILD = threading.Lock()


@dataclass(frozen=True, kw_only=True)
class LanguageGuess:
    language: str | None
    """ISO 639-1 code of the most likely served language; None when the text has no letters."""
    confidence: float
    scores: dict[str, float]


def supported(code: str) -> bool:
    """True when lingua knows the ISO 639-1 code (`de`, `en`; a region such as `de-AT` counts as `de`)."""
    from lingua import IsoCode639_1

    try:
        IsoCode639_1.from_str(code.split("-")[0].lower())
    except ValueError:
        return False
    return True


@lru_cache(maxsize=32)
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    chosen = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in languages]
    return LanguageDetectorBuilder.from_languages(*chosen).build()


def detector(languages: tuple[str, ...]) -> LanguageDetector:
    """The process's detector for this (sorted) language set."""
    with _BUILD:  # two threads meeting a new set build it once
        return _detector(languages)


_WARM: set[str] = set()
WARM_TEXT = "Sprachmodelle laden: language models everywhere"
"""Words of five letters and more: lingua loads its 1- to 5-gram models as a text needs them."""


def warm(languages: tuple[str, ...]) -> None:
    """Load the models of `languages` one language at a time.

    lingua holds the GIL while it loads a language's models (~0.15-0.3 s each on an idle host,
    seconds on a loaded one): loading four at once would stall every other thread of the worker
    (its workflow activations, whose deadlock detector allows 2 s) for their sum. Models are
    shared by every detector of the process, so a detector for (a loaded language, the next one)
    loads just the next; between steps the other threads run.
    """
    for code in languages:
        with _BUILD:
            if code in _WARM:
                continue
            partner = next(iter(sorted(_WARM)), None) or next((c for c in languages if c != code), None)
        if partner is not None:
            _detector(tuple(sorted({code, partner}))).compute_language_confidence_values(WARM_TEXT)
        with _BUILD:
            _WARM.add(code)
            if partner is not None:
                _WARM.add(partner)


def detect(text: str, languages: tuple[str, ...]) -> LanguageGuess:
    """The served language `text` is most likely in; `languages` sorted ISO 639-1 codes."""
    if not languages:
        return LanguageGuess(language=None, confidence=0.0, scores={})
    values = detector(languages).compute_language_confidence_values(text)
    scores = {v.language.iso_code_639_1.name.lower(): round(float(v.value), 4) for v in values}
    best = max(sorted(scores), key=lambda code: scores[code])
    if scores[best] <= 0.0:
        return LanguageGuess(language=None, confidence=0.0, scores=scores)
    return LanguageGuess(language=best, confidence=scores[best], scores=scores)
