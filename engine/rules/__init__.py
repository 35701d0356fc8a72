"""The pure rule engine: JSON-logic evaluation, rule packs, validation and decisions.

Nothing here does I/O at evaluation time; the workflow may call it inside its sandbox.
"""

from engine.rules.jsonlogic import evaluate

__all__ = ["evaluate"]
