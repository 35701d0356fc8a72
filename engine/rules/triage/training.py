"""Training an intent model from a pack's example sentences, and measuring it by cross-validation.

Multinomial logistic regression on TF-IDF features, fitted by plain gradient descent from zero
weights for a fixed number of steps: no random seed, no data shuffling, no stopping rule that a
rounding difference could move, so the same examples give the same model. The weights live in the
span of the training rows (W = Xᵀ·A), so the descent runs on A and the N x N Gram matrix: with a few
hundred examples a step costs microseconds however many n-grams the vocabulary has. Weights are
rounded to six decimals before they are stored and hashed.

numpy is imported here only, on first training (publishing, `rules test`, a worker meeting a pack
whose model is not stored yet): deciding with a trained model needs none of it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from engine.rules.triage.features import features_by_word
from engine.rules.triage.intent_model import IntentModel

STEPS = 1000
STEP_SIZE = 8.0
L2 = 1e-4
FOLDS = 5
DECIMALS = 6


@dataclass(frozen=True, kw_only=True)
class Example:
    text: str
    intent: str
    language: str


def examples_of(intents: dict[str, dict[str, list[str]]]) -> list[Example]:
    """intent -> language -> sentences, flattened in a fixed order (intent, language, file order)."""
    return [
        Example(text=text, intent=name, language=lang)
        for name in sorted(intents)
        for lang in sorted(intents[name])
        for text in intents[name][lang]
    ]


def train(examples: list[Example]) -> IntentModel:
    """Fit the classifier; every intent needs at least one example."""
    import numpy as np

    intents = sorted({e.intent for e in examples})
    docs = [Counter(f for _, feats in features_by_word(e.text) for f in feats) for e in examples]
    df: Counter[str] = Counter(f for doc in docs for f in doc)
    vocabulary = sorted(df)
    index = {f: i for i, f in enumerate(vocabulary)}
    n, width, k = len(examples), len(vocabulary), len(intents)
    idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in vocabulary])
    x = np.zeros((n, width))
    for row, doc in enumerate(docs):
        for f, count in doc.items():
            x[row, index[f]] = (1.0 + math.log(count)) * idf[index[f]]
        norm = float(np.sqrt((x[row] ** 2).sum()))
        if norm:
            x[row] /= norm
    y = np.zeros((n, k))
    for row, e in enumerate(examples):
        y[row, intents.index(e.intent)] = 1.0
    gram = x @ x.T
    a = np.zeros((n, k))
    bias = np.zeros(k)
    for _ in range(STEPS):
        scores = gram @ a + bias
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        error = (probs - y) / n
        a -= STEP_SIZE * (error + L2 * a)
        bias -= STEP_SIZE * error.sum(axis=0)
    rows = np.round(np.column_stack([idf, x.T @ a]), DECIMALS).tolist()
    table = dict(zip(vocabulary, rows, strict=True))
    return IntentModel(intents, table, np.round(bias, DECIMALS).tolist())


@dataclass(frozen=True, kw_only=True)
class IntentQuality:
    """Cross-validated precision and recall of one intent."""

    intent: str
    examples: int
    precision: float | None
    """Of the held-out examples classified as this intent, the share that were (None: none were)."""
    recall: float
    """Of this intent's held-out examples, the share classified as it."""
    confused_with: str | None = None
    """The other intent it is mistaken for most, either way (None: never mistaken)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "examples": self.examples,
            "precision": self.precision,
            "recall": self.recall,
            "confused_with": self.confused_with,
        }


def cross_validate(examples: list[Example]) -> list[IntentQuality] | None:
    """Stratified k-fold (each intent's i-th example in fold i mod k), k = min(5, smallest intent).

    None when an intent has fewer than two examples or there is only one intent: nothing to hold out.
    """
    per_intent = Counter(e.intent for e in examples)
    if len(per_intent) < 2 or min(per_intent.values()) < 2:
        return None
    folds = min(FOLDS, min(per_intent.values()))
    seen: Counter[str] = Counter()
    fold_of = []
    for e in examples:
        fold_of.append(seen[e.intent] % folds)
        seen[e.intent] += 1
    predicted: list[str | None] = [None] * len(examples)
    for fold in range(folds):
        held = [i for i, f in enumerate(fold_of) if f == fold]
        model = train([e for i, e in enumerate(examples) if fold_of[i] != fold])
        for i in held:
            predicted[i] = model.classify(examples[i].text).intent
    pairs = list(zip((e.intent for e in examples), predicted, strict=True))
    quality = []
    for name in sorted(per_intent):
        hits = sum(1 for truth, p in pairs if truth == name == p)
        chosen = sum(1 for _, p in pairs if p == name)
        # Either way: its examples taken for another, or another's examples taken for it.
        mixed = Counter(
            (p if truth == name else truth) for truth, p in pairs if (truth == name) != (p == name) and p
        )
        quality.append(
            IntentQuality(
                intent=name,
                examples=per_intent[name],
                precision=round(hits / chosen, 4) if chosen else None,
                recall=round(hits / per_intent[name], 4),
                confused_with=min(mixed, key=lambda other: (-mixed[other], other)) if mixed else None,
            )
        )
    return quality
