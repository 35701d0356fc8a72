"""The decision trail keeps its records encoded (engine/contracts/compact_json.py), and nothing a
reader or the wire sees changes: queries, audits and a continue-as-new get the same JSON objects."""

from __future__ import annotations

import copy
import json
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from engine.contracts.compact_json import CompactJson, plain
from engine.contracts.conversation import ConversationState, DecisionEntry

RULES = [
    {
        "id": f"rule-{i}",
        "outcome": "matched" if i % 3 == 0 else "not_matched",
        "reads": {"message.intent": "billing"},
    }
    for i in range(11)
]
DECISION: dict[str, Any] = {
    "pack": "default",
    "pack_hash": "3da5645547674d7d9baf875603db50de2a66e679624d2d4a2e970b017f670819",
    "event": "conversation.created",
    "rules": RULES,
    "actions": [{"rule": "rule-0", "action": {"type": "add_tag", "tag": "billing"}}],
}
TRIAGE = {"language": "en", "intent": {"label": "billing", "scores": {"billing": 0.91, "technical": 0.04}}}
KPI = {
    "at": "2026-12-04T09:30:00+00:00",
    "channel": "email",
    "priority": "normal",
    "sla": {"first_response": 60},
}


def entry(**fields: Any) -> DecisionEntry:
    return DecisionEntry(
        seq=1, event="conversation.created", at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC), **fields
    )


def test_an_entry_read_from_json_holds_its_records_encoded_and_writes_the_same_json() -> None:
    raw = entry(decision=DECISION, triage=TRIAGE, kpi=KPI).model_dump_json()
    read = DecisionEntry.model_validate_json(raw)
    assert isinstance(read.decision, CompactJson) and isinstance(read.kpi, CompactJson)
    assert read.model_dump_json() == raw
    assert read.model_dump(mode="json")["decision"] == DECISION
    assert read.decision == DECISION and read.triage == TRIAGE  # equal to the dicts they stand for


def test_readers_get_plain_values_they_may_change_without_changing_the_trail() -> None:
    read = entry(decision=DECISION)
    assert read.decision is not None
    assert read.decision["pack"] == "default" and read.decision.get("missing", 7) == 7
    assert "rules" in read.decision and list(read.decision) == list(DECISION) and len(read.decision) == 5
    rules = read.decision["rules"]
    rules[0]["outcome"] = "tampered"
    assert read.decision["rules"][0]["outcome"] == "matched"
    assert {**read.decision} == DECISION
    assert dict(read.decision.items()) == DECISION and list(read.decision.keys()) == list(DECISION)
    decoded = plain(read.decision)  # once, for a reader of several keys
    assert isinstance(decoded, dict) and decoded == DECISION and plain(DECISION) is DECISION


def test_compact_encodes_what_the_workflow_assigned_and_changes_no_output() -> None:
    made = entry()
    made.decision = copy.deepcopy(DECISION)  # as deciding.py assigns the rules' result
    made.kpi = dict(KPI)
    before = made.model_dump_json()
    made.compact()
    assert isinstance(made.decision, CompactJson) and isinstance(made.kpi, CompactJson)
    assert made.triage is None and made.assignment is None
    assert made.model_dump_json() == before


def test_a_carried_state_round_trips_and_its_schema_is_that_of_a_dict() -> None:
    state = ConversationState(
        conversation_id="conversation:acme:c-1",
        tenant="acme",
        external_id="c-1",
        channel="email",
        customer={"address": "ada@example.com"},
        created_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
        updated_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
        decisions=[entry(decision=DECISION, triage=TRIAGE, kpi=KPI)],
    )
    raw = state.model_dump_json()
    assert ConversationState.model_validate_json(raw).model_dump_json() == raw
    schema = DecisionEntry.model_json_schema()["properties"]["decision"]
    assert schema["anyOf"][0] == {"additionalProperties": True, "type": "object"}
    assert json.loads(raw)["decisions"][0]["decision"] == DECISION


def test_the_encoded_records_take_a_fraction_of_the_dicts_memory() -> None:
    """What a cached conversation's trail costs the worker (issue 15: memory per open conversation)."""
    text = json.dumps({"decision": DECISION, "triage": TRIAGE, "kpi": KPI})

    def held(make: Any) -> int:
        tracemalloc.start()
        kept = [make() for _ in range(50)]
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert len(kept) == 50
        return size

    as_dicts = held(lambda: json.loads(text))
    encoded = held(lambda: {k: CompactJson.of(v) for k, v in json.loads(text).items()})
    assert encoded * 3 < as_dicts
