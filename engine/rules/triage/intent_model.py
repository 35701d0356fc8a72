"""A trained intent classifier as plain data: what is stored, hashed, loaded and asked.

The model is a linear classifier over TF-IDF features (engine/rules/triage/features.py): per feature
its IDF and one weight per intent, plus a bias per intent. It is kept as JSON, never pickled, so a
model read from the database is only numbers (nothing in it can run), and its SHA-256 over the
canonical JSON is its identity: the decision trail names the model that classified a message.
Asking it is pure Python (a few hundred dictionary lookups per message): the worker that decides
needs neither numpy nor scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from engine.rules.triage.features import features_by_word

FORMAT = 1
TOP_WORDS = 5


@dataclass(frozen=True, kw_only=True)
class IntentScores:
    """One message's classification: what the rule context and the trail show."""

    intent: str | None
    """The best intent, or None when its probability is below the pack's threshold (or no words)."""
    confidence: float
    """The best intent's probability (0 to 1)."""
    scores: dict[str, float]
    """Every intent's probability, rounded to four places."""
    words: list[tuple[str, float]]
    """The words that pushed the best intent most, with their share of its score."""


class IntentModel:
    """Weights by feature; built from its JSON (`from_json`) or by training (training.py)."""

    def __init__(self, intents: list[str], table: dict[str, list[float]], bias: list[float]) -> None:
        self.intents = intents
        self._table = table  # feature -> [idf, weight per intent...]
        self._bias = bias
        self.json = json.dumps(
            {"format": FORMAT, "intents": intents, "bias": bias, "features": table},
            sort_keys=True,
            separators=(",", ":"),
        )
        self.hash = hashlib.sha256(self.json.encode()).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> IntentModel:
        """A stored model; refuses anything but the plain numbers this module writes."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not an intent model of a known format")
        intents = [str(i) for i in data["intents"]]
        width = len(intents) + 1
        table = {str(f): [float(v) for v in row] for f, row in data["features"].items() if len(row) == width}
        return cls(intents, table, [float(b) for b in data["bias"]])

    def classify(self, text: str, *, threshold: float = 0.0) -> IntentScores:
        """Probabilities per intent and the words behind the best one."""
        table, k = self._table, len(self.intents)
        by_word = [(word, [f for f in feats if f in table]) for word, feats in features_by_word(text)]
        counts: dict[str, int] = {}
        for _, feats in by_word:
            for f in feats:
                counts[f] = counts.get(f, 0) + 1
        if not counts or not k:
            return IntentScores(intent=None, confidence=0.0, scores={}, words=[])
        values = {f: (1.0 + math.log(n)) * table[f][0] for f, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        totals = list(self._bias)
        for f, v in values.items():
            row = table[f]
            for c in range(k):
                totals[c] += v * row[c + 1] / norm
        top = max(totals)
        exps = [math.exp(t - top) for t in totals]
        whole = sum(exps)
        probs = [e / whole for e in exps]
        best = max(range(k), key=lambda c: (probs[c], -c))
        pushed: dict[str, float] = {}
        for word, feats in by_word:
            share = sum(values[f] * table[f][best + 1] / counts[f] for f in feats) / norm
            pushed[word] = pushed.get(word, 0.0) + share
        ranked = sorted(pushed.items(), key=lambda item: (-item[1], item[0]))[:TOP_WORDS]
        confidence = probs[best]
        return IntentScores(
            intent=self.intents[best] if confidence >= threshold else None,
            confidence=round(confidence, 4),
            scores={name: round(p, 4) for name, p in zip(self.intents, probs, strict=True)},
            words=[(w, round(s, 4)) for w, s in ranked if s > 0],
        )

    def describe(self) -> dict[str, Any]:
        """What `rules test` prints about the model."""
        return {"hash": self.hash, "intents": self.intents, "features": len(self._table)}
