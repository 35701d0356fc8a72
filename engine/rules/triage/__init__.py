"""Triage: a customer message's language, intent and sentiment, offline and explained.

Pure (no I/O but reading the models that lingua and vaderSentiment ship in their wheels); the
`decide` activity runs it, the validator and `rules test` train and measure intents with it.
"""

from engine.rules.triage.intent_model import IntentModel, IntentScores
from engine.rules.triage.language import detect, supported
from engine.rules.triage.training import Example, IntentQuality, cross_validate, examples_of, train
from engine.rules.triage.triager import (
    CONTEXT_FIELDS,
    Triager,
    context_fields,
    intent_quality,
    intent_report,
    trained_model,
    weak_intents,
)

__all__ = [
    # classifying a message
    "CONTEXT_FIELDS",
    # intents
    "Example",
    "IntentModel",
    "IntentQuality",
    "IntentScores",
    "Triager",
    "context_fields",
    "cross_validate",
    "detect",
    "examples_of",
    "intent_quality",
    "intent_report",
    "supported",
    "train",
    "trained_model",
    "weak_intents",
]
