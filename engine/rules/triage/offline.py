"""Triage for decisions made outside a conversation: `rules test`, `simulate`, `diff`, coverage.

A recorded or hand-written context has a message text but no `message.intent`: it is classified
here as the `decide` activity would (with the model trained from the pack, which is the stored
one), whenever the pack's rules read a triage field or the caller wants it; values the context
gives itself win, so a test case can pin `intent: null` to exercise a keyword fallback.
"""

from __future__ import annotations

from typing import Any

from engine.contracts.decisions import TRIAGED_EVENTS
from engine.rules.decision import CompiledPack
from engine.rules.triage.triager import CONTEXT_FIELDS, Triager, context_fields, trained_model

_TRIAGERS: dict[str, Triager] = {}


def reads_triage(pack: CompiledPack) -> bool:
    """Whether any rule of the pack reads `message.language`, `.intent`, `.sentiment` or their kin."""
    return any(path.removeprefix("message.") in CONTEXT_FIELDS for path in pack.reads)


def triager_of(pack: CompiledPack) -> Triager:
    """The pack's triager, built once per hash in this process."""
    found = _TRIAGERS.get(pack.hash)
    if found is None:
        found = _TRIAGERS[pack.hash] = Triager(pack.pack, trained_model(pack.pack))
    return found


def with_triage(
    pack: CompiledPack,
    context: dict[str, Any],
    *,
    wanted: bool = False,
    recorded: str | None = None,
) -> dict[str, Any]:
    """`context` with its message's triage fields filled in: a test case's own values kept (it may pin
    them); a context `recorded` on an event replaced by this pack's, as live replaces what the
    workflow sent (`seen_context`), so simulating or diffing a candidate that changes intents,
    examples, lexicons or languages shows what it would decide, not what the pack recorded with did.
    Live classifies only TRIAGED_EVENTS: a recorded event of another kind keeps its context."""
    message = context.get("message")
    if not isinstance(message, dict) or not message.get("text") or not (wanted or reads_triage(pack)):
        return context
    if recorded is not None and recorded not in TRIAGED_EVENTS:
        return context
    found = context_fields(triager_of(pack).classify(str(message["text"])))
    return {**context, "message": {**message, **found} if recorded else {**found, **message}}
