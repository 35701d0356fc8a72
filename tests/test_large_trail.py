"""A conversation on a large pack lives on: what it records stays under Temporal's payload limit.

Every decision records each rule of its event with what it read (a string up to 200 characters), so
on a pack of a few hundred rules that read the message, one customer message adds ~100 KB to the
trail. Continue-as-new carries the trail in its input and queries answer it; Temporal refuses a
payload over 2 MB, and a continue-as-new it refused failed at every attempt: the conversation stopped
taking messages. Now a run continues as new by the bytes its trail takes, carries the newest entries
that fit, and every run still answers its own (core.py RUN_TRAIL_BYTES). One decision could pass the
limit alone (a list read whole by hundreds of rules); a record is now bounded too
(engine/rules/decision.py `bounded_record`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from bench.realistic_pack import realistic_pack
from engine.contracts.compact_json import CompactJson
from engine.contracts.trail import DecisionEntry, newest_within
from engine.rules.decision import MAX_RECORD_BYTES
from engine.rules.validation import MAX_RULES
from engine.service import audit_bundle
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient
from tests.cli_run import cli
from tests.conftest import publish

RULES = 400
MESSAGES = 40
TEXT = "Hello, my parcel has not arrived yet and the tracking page shows nothing since Monday. " * 4


def write_pack(directory: Path, rule_count: int, condition: Callable[[int], dict[str, Any]]) -> Path:
    """A legal pack of `rule_count` rules on `message.received`, rule i's condition `condition(i)`."""
    rules = [
        {
            "id": f"rule-{i:03d}",
            "on": ["message.received"],
            "if": condition(i),
            "then": [{"add_tags": [f"t{i}"]}],
        }
        for i in range(rule_count)
    ]
    return write_document(directory, {"meta": {"name": directory.name}, "rules": rules})


def write_document(directory: Path, pack: dict[str, Any]) -> Path:
    """A pack directory holding `pack` (JSON, which YAML 1.2 reads)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pack.yaml").write_text(json.dumps(pack))
    return directory


def reads_the_text(i: int) -> dict[str, Any]:
    """Reads the message text and matches none of the test's messages."""
    return {"in": [f"never-said-{i}", {"var": "message.text"}]}


def reads_the_attachments(i: int) -> dict[str, Any]:
    """Reads the message's attachments and matches none of the test's."""
    return {"some": [{"var": "message.attachments"}, {"==": [{"var": "content_type"}, f"x/never-{i}"]}]}


async def test_a_conversation_on_a_large_pack_keeps_taking_messages(
    api: ApiClient,
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    worker: None,
    tmp_path: Path,
) -> None:
    publish(settings, write_pack(tmp_path / "large", RULES, reads_the_text))
    for i in range(MESSAGES):  # ~4 MB of decision records in all
        answer = await api.post_message("large-1", f"m-{i}", f"{TEXT} ({i})")
        assert answer.status in (200, 201), answer.body

    conversation = (await api.get("large-1")).body
    assert conversation["customer_messages"] == MESSAGES
    assert conversation["runs"] > 1
    latest = (await api.request("GET", "/v1/conversations/large-1/decisions")).body["decisions"]
    assert latest[-1]["message_id"] == f"m-{MESSAGES - 1}"

    database = database_of(settings)
    try:  # the auditor's bundle asks every run: no run's record is lost to the bound
        bundle = await audit_bundle.export(client, database, tenants["acme"], "large-1", b"k" * 32)
    finally:
        await database.dispose()
    trail = bundle["files"]["decisions.json"]
    received = [e["message_id"] for e in trail if e["event"] == "message.received"]
    assert received == [f"m-{i}" for i in range(MESSAGES)]


def entry(seq: int, size: int) -> DecisionEntry:
    """A trail entry whose decision encodes to `size` bytes."""
    decision = {"pad": ""}
    decision["pad"] = "x" * (size - CompactJson.of(decision).size)
    at = datetime(2026, 12, 5, tzinfo=UTC)
    made = DecisionEntry(seq=seq, event="message.received", at=at, decision=decision)
    made.compact()
    return made


def test_the_carried_trail_is_the_newest_entries_that_fit() -> None:
    trail = [entry(seq, 100) for seq in range(1, 6)]
    assert [e.encoded_size() for e in trail] == [100] * 5
    assert [e.seq for e in newest_within(trail, 300)] == [3, 4, 5]
    assert [e.seq for e in newest_within(trail, 299)] == [4, 5]
    assert newest_within(trail, 99) == []
    assert newest_within(trail, 10_000) == trail


async def test_a_message_whose_decision_would_pass_the_payload_limit_is_still_handled(
    api: ApiClient, settings: Settings, worker: None, tmp_path: Path
) -> None:
    """50 attachments with long names, read by each of 300 rules: the record of what each rule read
    would take 2.7 MB, past what Temporal takes in one payload (the conversation stopped there). The
    message is handled all the same: the rows keep their outcomes, the values read are left out, and
    the record says how large it would have been."""
    publish(settings, write_pack(tmp_path / "attachments", 300, reads_the_attachments))
    attachments = [{"name": f"{'n' * 240}{i}.pdf", "content_type": "t" * 255} for i in range(50)]
    answer = await api.request(
        "POST",
        "/v1/conversations/many-files/messages?wait=decided",
        json={
            "message_id": "m-1",
            "channel": "email",
            "sender": {"address": "ada@example.com"},
            "text": "see the attached files",
            "attachments": attachments,
        },
    )
    assert answer.status == 201, answer.body
    assert (await api.post_message("many-files", "m-2", "and one more thing")).status == 200
    trail = (await api.request("GET", "/v1/conversations/many-files/decisions")).body["decisions"]
    [first, second] = [e for e in trail if e["event"] == "message.received"]
    assert first["decision"]["reads_left_out"] > 2 * 1024 * 1024
    assert len(first["decision"]["rules"]) == 300
    assert {row["outcome"] for row in first["decision"]["rules"]} == {"not_matched"}
    assert all(row["reads"] == {} for row in first["decision"]["rules"])
    assert "reads_left_out" not in second["decision"]
    assert second["decision"]["rules"][0]["reads"] == {"message.attachments": []}


async def test_a_pack_at_the_rule_cap_takes_a_long_conversation(
    api: ApiClient,
    shell: Settings,
    worker: None,
    tmp_path: Path,
    tenants: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bench/realistic_pack.py at MAX_RULES: each `message.received` decision records over 100 KB
    (the created one more), so runs continue as new every few messages, and no record passes its
    bound."""
    publish(shell, write_document(tmp_path / "cap", realistic_pack(MAX_RULES)))
    for i in range(12):
        answer = await api.post_message("cap-1", f"m-{i}", f"I was charged twice, refund please ({i})")
        assert answer.status in (200, 201), answer.body
    conversation = (await api.get("cap-1")).body
    assert conversation["customer_messages"] == 12 and conversation["runs"] > 1
    trail = (await api.request("GET", "/v1/conversations/cap-1/decisions")).body["decisions"]
    assert trail[-1]["message_id"] == "m-11"
    sizes = [len(json.dumps(e["decision"], ensure_ascii=False)) for e in trail if e["decision"]]
    assert max(sizes) <= MAX_RECORD_BYTES
    # The latest run carries only its newest records; `audit explain` read that trail alone and
    # said "no effects" (or left out the first) for what the customer was sent in earlier runs.
    assert trail[0]["seq"] > 1
    explained = await cli(capsys, "audit", "explain", "cap-1", "--tenant", tenants["acme"], "--json")
    assert explained.returncode == 0, explained.stderr
    body = json.loads(explained.stdout)
    assert {e["seq"] for e in body["effects"]} >= {1}, "the first message's effects, from the first run"
    assert body["runs"] == conversation["runs"] and body["notes"] == []
