"""An auditor's bundle: export conversations, replay them with today's code, and prove they were not edited.

Conversations are driven through the API on the real Temporal server (closes, a new thread, runs
that continue as new); the `convoflow audit` commands run as from a shell.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHistory

from engine.audit.bundle import as_files
from engine.audit.chain import canonical_json
from engine.service import audit_bundle
from engine.service.audit_key import DEV_AUDIT_KEY_FILE, AuditKeyError, audit_key_of
from engine.service.config import Settings
from engine.service.replaying import replay_all, unreplayable
from engine.service.temporal_server import DevServer, free_port
from engine.service.worker import WORKFLOWS
from tests.api_client import ApiClient
from tests.changed_workflow import SleepFirstConversation
from tests.cli_run import Run, cli
from tests.conftest import serve_api
from tests.payload_keys import TEST_DATA_CONVERTER, TEST_PAYLOAD_KEYS
from tests.test_api_roles import as_key, keys_by_role
from tests.test_lifecycle import set_status
from tests.test_threads import agent_reply

HISTORIES = Path(__file__).parent / "histories"

AUDIT_KEY = "test-audit-key-0123456789abcdef"


@pytest.fixture
def audit_env(
    cli_settings: Settings, temporal_server: DevServer, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The shell an auditor's commands run in: the test's Temporal, queue, keyring and audit key."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_server.address)
    monkeypatch.setenv("CONVOFLOW_TASK_QUEUE", cli_settings.task_queue)
    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", TEST_PAYLOAD_KEYS)
    monkeypatch.setenv("CONVOFLOW_AUDIT_KEY", AUDIT_KEY)
    return cli_settings


def keyed(settings: Settings) -> Settings:
    """The API's settings with the audit key the auditor's shell has."""
    return settings.model_copy(update={"audit_key": SecretStr(AUDIT_KEY)})


async def drive(api: ApiClient) -> None:
    """Three conversations as the lifecycle tests have them: answered and closed, a new thread, solved."""
    await api.post_message("au-1", "m-1", "my invoice is wrong")
    await agent_reply(api, "au-1", "r-1", "fixed")
    await set_status(api, "au-1", "closed")
    await api.post_message("au-1", "m-2", "and my refund?")  # thread 2 of the same conversation
    await agent_reply(api, "au-1", "r-2", "refunded")
    await api.post_message("au-2", "m-3", "hello", channel="chat")
    await set_status(api, "au-2", "solved")
    await api.post_message("au-3", "m-4", "where is my parcel")


async def test_export_replay_and_verify_as_an_auditor(
    audit_env: Settings,
    client: Client,
    tenants: dict[str, str],
    worker: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = tenants["acme"]
    short_runs = audit_env.model_copy(update={"max_events_per_run": 4})  # runs continue as new
    async with serve_api(client, short_runs, tenants) as api:
        await drive(api)

    one = await cli(
        capsys, "audit", "export", "au-1", "--tenant", tenant, "--output", str(tmp_path / "au-1.json")
    )
    assert one.returncode == 0, one.stderr
    bundle = json.loads((tmp_path / "au-1.json").read_text())
    manifest = bundle["manifest"]
    assert manifest["conversation"] == "au-1" and manifest["tenant"] == tenant
    assert len(manifest["run_ids"]) > 1, "the conversation continued as new: every run is in the bundle"
    assert [f"history/{run}.json" for run in manifest["run_ids"]] == [
        f["name"] for f in manifest["files"] if f["name"].startswith("history/")
    ]
    trail = bundle["files"]["decisions.json"]
    assert [r["message_id"] for r in trail if r["event"] == "message.received"] == ["m-1", "m-2"]
    assert {r["thread"] for r in trail} == {1, 2}
    assert all(len(r["chain"]) == 64 for r in trail)
    [pack_hash] = manifest["pack_hashes"]
    assert f"packs/{pack_hash}.json" in bundle["files"]
    assert f"exported au-1: {tmp_path / 'au-1.json'}" in one.stdout

    zipped = await cli(
        capsys, "audit", "export", "au-2", "--tenant", tenant, "--output", str(tmp_path / "au-2.zip")
    )
    assert zipped.returncode == 0, zipped.stderr
    with zipfile.ZipFile(tmp_path / "au-2.zip") as archive:
        assert "manifest.json" in archive.namelist() and "decisions.json" in archive.namelist()

    since = (datetime.now(UTC) - timedelta(hours=1)).date().isoformat()
    everything = await cli(
        capsys,
        "audit",
        "export",
        "--all",
        "--since",
        since,
        "--tenant",
        tenant,
        "--output",
        str(tmp_path / "all"),
    )
    assert everything.returncode == 0, everything.stderr
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["au-1.json", "au-2.json", "au-3.json"]
    assert "3 conversations exported" in everything.stdout

    exported = sorted((tmp_path / "all").iterdir())
    runs = sum(len(audit_bundle.read_bundle(p)["manifest"]["run_ids"]) for p in exported)
    zipped_runs = len(audit_bundle.read_bundle(tmp_path / "au-2.zip")["manifest"]["run_ids"])
    replayed = await cli(capsys, "audit", "replay", str(tmp_path / "au-2.zip"), *map(str, exported))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    # and says what it proves: a bundle whose records were edited replays as well (verify tells)
    assert replayed.stdout.splitlines() == [
        f"{runs + zipped_runs} replayed, 0 differences",
        "(replay checks that this code decides as recorded; `convoflow audit verify` checks the bundle)",
    ]
    # A history edited (two events swapped): the difference says why, not only where (helper-125).
    edited = audit_bundle.read_bundle(tmp_path / "au-1.json")
    name = next(n for n in edited["files"] if n.startswith("history/"))
    events = edited["files"][name]["events"]
    events[5], events[6] = events[6], events[5]
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    changed = await cli(capsys, "audit", "replay", str(tmp_path / "edited.json"))
    assert changed.returncode == 1 and " replayed, 1 differences" in changed.stdout, changed.stdout
    assert "the history's events are out of order or one is missing" in changed.stdout, changed.stdout
    from_temporal = await cli(capsys, "audit", "replay", "--all", "--tenant", tenant)
    assert from_temporal.returncode == 0, from_temporal.stdout + from_temporal.stderr
    assert from_temporal.stdout.splitlines() == [f"{runs} replayed, 0 differences"]

    # Unpacked and zipped again with `zip -r`, which adds an entry for each folder: untouched, it
    # verifies (the folder entry `history/` was "not JSON", as if the bundle had been tampered with).
    with (
        zipfile.ZipFile(tmp_path / "au-2.zip") as archive,
        zipfile.ZipFile(tmp_path / "re.zip", "w") as again,
    ):
        for name in sorted({n.rsplit("/", 1)[0] + "/" for n in archive.namelist() if "/" in n}):
            again.writestr(zipfile.ZipInfo(name), b"")
        for name in archive.namelist():
            again.writestr(name, archive.read(name))
    for path in (tmp_path / "au-1.json", tmp_path / "au-2.zip", tmp_path / "re.zip"):
        verified = await cli(capsys, "audit", "verify", str(path))
        assert verified.returncode == 0, verified.stdout
        assert verified.stdout.startswith(
            f"{len(audit_bundle.read_bundle(path)['files']['decisions.json'])} records verified"
        )
        # Which conversation it is: a bundle renamed or handed over for another verifies too.
        conversation = {"au-1.json": "au-1", "au-2.zip": "au-2", "re.zip": "au-2"}[path.name]
        assert f": conversation {conversation} of tenant {tenant}, exported 20" in verified.stdout
    # Many in one run (one process each took ~4 s to start), each named; one that is no bundle fails
    # the run, not the others.
    (tmp_path / "no.json").write_text("[]")
    paths = [str(tmp_path / name) for name in ("au-1.json", "au-2.zip", "no.json", "re.zip")]
    together = await cli(capsys, "audit", "verify", *paths)
    assert together.returncode == 1, together.stdout + together.stderr
    lines = together.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:4]] == paths
    assert lines[2] == f"{paths[2]}: not an audit bundle" and lines[-1] == "3 of 4 bundles verified"

    # Replayed with a worker whose workflow code changed incompatibly, the same histories differ.
    recorded = audit_bundle.recorded_in(bundle)
    changed = await replay_all(recorded, TEST_DATA_CONVERTER, [SleepFirstConversation, *WORKFLOWS[1:]])
    assert changed.summary() == f"{len(recorded)} replayed, {len(recorded)} differences"
    first = changed.differences[0]
    assert (first.conversation, first.run_id) == ("au-1", manifest["run_ids"][0])
    assert first.event.startswith("event ") and "Nondeterminism" in first.detail


async def test_verify_names_the_record_that_was_edited_removed_or_reordered(
    audit_env: Settings,
    client: Client,
    worker: None,
    tenants: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auditor = (await keys_by_role(audit_env, tenants["acme"]))["auditor"]
    async with serve_api(client, keyed(audit_env), tenants) as api:
        await api.post_message("tv-1", "m-1", "my invoice is wrong")
        await agent_reply(api, "tv-1", "r-1", "fixed")
        await set_status(api, "tv-1", "solved")
        exported = await as_key(api, auditor, "GET", "/v1/conversations/tv-1/export")
    assert exported.status == 200, exported.body
    assert exported.headers["Cache-Control"] == "no-store"  # what the rules read: kept by no cache
    by_cli = await cli(capsys, "audit", "export", "tv-1", "--tenant", tenants["acme"])
    assert by_cli.returncode == 0, by_cli.stderr
    elsewhere = await cli(capsys, "audit", "export", "tv-1", "--tenant", tenants["globex"])
    assert elsewhere.returncode == 2 and "no conversation 'tv-1'" in elsewhere.stderr  # as explain says it
    same = json.loads(by_cli.stdout)  # the same content as the route's, sealed under the same key
    assert same["manifest"]["run_ids"] == exported.body["manifest"]["run_ids"]
    assert same["files"]["decisions.json"] == exported.body["files"]["decisions.json"]
    fresh = tmp_path / "fresh.json"
    fresh.write_bytes(canonical_json(exported.body))
    records = exported.body["files"]["decisions.json"]
    assert len(records) >= 3
    ok = await cli(capsys, "audit", "verify", str(fresh))
    assert ok.returncode == 0 and ok.stdout.startswith(f"{len(records)} records verified"), ok.stdout

    # One byte of the second record: a digit of its time.
    raw = fresh.read_bytes()
    segment = canonical_json(records[1])
    at = raw.index(segment) + segment.index(b'"at":"') + len(b'"at":"') + 3
    edited = raw[:at] + (b"7" if raw[at : at + 1] != b"7" else b"8") + raw[at + 1 :]
    assert len(edited) == len(raw) and sum(a != b for a, b in zip(edited, raw, strict=True)) == 1
    named = f"decision record #2 (seq {records[1]['seq']}, event {records[1]['event']})"
    assert await _verify_fails(capsys, tmp_path / "edited.json", edited) == named

    removed = {
        **exported.body,
        "files": {**exported.body["files"], "decisions.json": [records[0], *records[2:]]},
    }
    named = f"decision record #2 (seq {records[2]['seq']}, event {records[2]['event']})"
    assert await _verify_fails(capsys, tmp_path / "removed.json", canonical_json(removed)) == named

    swapped = [records[0], records[2], records[1], *records[3:]]
    reordered = {**exported.body, "files": {**exported.body["files"], "decisions.json": swapped}}
    named = f"decision record #2 (seq {records[2]['seq']}, event {records[2]['event']})"
    assert await _verify_fails(capsys, tmp_path / "reordered.json", canonical_json(reordered)) == named

    cut = {**exported.body, "files": {**exported.body["files"], "decisions.json": records[:-1]}}
    (tmp_path / "cut.json").write_bytes(canonical_json(cut))
    shortened = await cli(capsys, "audit", "verify", str(tmp_path / "cut.json"))
    assert shortened.returncode == 1 and "removed from the end" in shortened.stdout
    # Cut, and the manifest's count edited to match: it said "holds 2 where 2 were exported".
    chain = {**exported.body["manifest"]["chain"], "records": len(records) - 1}
    recounted = {**cut, "manifest": {**exported.body["manifest"], "chain": chain}}
    (tmp_path / "recounted.json").write_bytes(canonical_json(recounted))
    recount = await cli(capsys, "audit", "verify", str(tmp_path / "recounted.json"))
    assert recount.returncode == 1 and "the chain's head does not match" in recount.stdout, recount.stdout
    assert "the manifest was edited" in recount.stdout
    # Its record count removed: "where None were exported: records were removed from the end".
    uncounted_chain = {k: v for k, v in exported.body["manifest"]["chain"].items() if k != "records"}
    uncounted = {**exported.body, "manifest": {**exported.body["manifest"], "chain": uncounted_chain}}
    (tmp_path / "uncounted.json").write_bytes(canonical_json(uncounted))
    count = await cli(capsys, "audit", "verify", str(tmp_path / "uncounted.json"))
    assert count.returncode == 1 and "its chain's record count or head is missing" in count.stdout, (
        count.stdout
    )
    # The manifest's chain removed: the manifest was edited, not the key wrong.
    unchained = {
        **exported.body,
        "manifest": {k: v for k, v in exported.body["manifest"].items() if k != "chain"},
    }
    (tmp_path / "unchained.json").write_bytes(canonical_json(unchained))
    missing = await cli(capsys, "audit", "verify", str(tmp_path / "unchained.json"))
    assert missing.returncode == 1 and "its chain's record count or head is missing" in missing.stdout, (
        missing.stdout
    )

    run = exported.body["manifest"]["run_ids"][0]
    history = json.loads(json.dumps(exported.body["files"][f"history/{run}.json"]))
    history["events"][0]["eventTime"] = "2020-01-01T00:00:00Z"
    other = {**exported.body, "files": {**exported.body["files"], f"history/{run}.json": history}}
    (tmp_path / "history.json").write_bytes(canonical_json(other))
    tampered = await cli(capsys, "audit", "verify", str(tmp_path / "history.json"))
    assert tampered.returncode == 1
    assert f"file history/{run}.json: its SHA-256 differs from the manifest's" in tampered.stdout

    (tmp_path / "wrong-key").write_text("someone-elses-audit-key-000\n")
    wrong = await cli(capsys, "audit", "verify", str(fresh), "--key-file", str(tmp_path / "wrong-key"))
    assert wrong.returncode == 1 and "not the key given" in wrong.stdout, wrong.stdout
    (tmp_path / "key").write_text(AUDIT_KEY + "\n")
    offline = await cli(capsys, "audit", "verify", str(fresh), "--key-file", str(tmp_path / "key"))
    assert offline.returncode == 0, offline.stdout

    # A manifest whose `files` is not a list of files: named, without a traceback (a TypeError).
    broken = json.loads(raw)
    broken["manifest"]["files"] = 5
    listless = await cli_verify(capsys, tmp_path / "listless.json", canonical_json(broken))
    assert listless.returncode == 1 and "its `files` is not a list of files" in listless.stdout

    # A zip holding an edited decisions.json before the original passed: the last copy was read,
    # while `unzip` shows the first. Refused before anything is read, as is a zip unpacking to more
    # than the bound (a 1.5 MB zip of 1.5 GB took 3 GB of memory before any check).
    members = as_files(exported.body)
    changed = json.loads(members["decisions.json"])
    changed[0]["executed"] = []
    twice = tmp_path / "twice.zip"
    with zipfile.ZipFile(twice, "w") as archive:
        archive.writestr("decisions.json", canonical_json(changed))
        for name, content in members.items():
            archive.writestr(name, content)
    doubled = await cli(capsys, "audit", "verify", str(twice))
    assert doubled.returncode == 1 and doubled.stdout == ""
    assert doubled.stderr == (
        f"convoflow audit: {twice}: the archive holds decisions.json more than once: one copy could hide "
        "another\n"
    )
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        archive.writestr("extra.json", b"[" + b" " * 3_000_000 + b"]")  # 3 MB, a few KB zipped
    monkeypatch.setattr(audit_bundle, "MAX_UNPACKED_BYTES", 2_000_000)
    bomb = await cli(capsys, "audit", "verify", str(whole))
    assert bomb.returncode == 1 and "over 2,000,000: not read" in bomb.stderr
    # The same 3 MB declared as 2 bytes (an archive's sizes are its own word): inflated no further
    # than the bound, and a one-line refusal, not a BadZipFile traceback.
    raw = whole.read_bytes()
    declared = len(b"[" + b" " * 3_000_000 + b"]").to_bytes(4, "little")
    lying = tmp_path / "lying.zip"
    lying.write_bytes(raw.replace(declared, (2).to_bytes(4, "little")))
    assert lying.read_bytes().count((2).to_bytes(4, "little")) >= 2  # local and central headers
    lied = await cli(capsys, "audit", "verify", str(lying))
    assert lied.returncode == 1 and "the archive cannot be read: Bad CRC-32" in lied.stderr, lied.stderr
    assert "Traceback" not in lied.stderr


async def cli_verify(capsys: pytest.CaptureFixture[str], path: Path, content: bytes) -> Run:
    await asyncio.to_thread(path.write_bytes, content)
    return await cli(capsys, "audit", "verify", str(path))


async def _verify_fails(capsys: pytest.CaptureFixture[str], path: Path, content: bytes) -> str:
    """Write `content` to `path`, verify it; the record the first complaint names."""
    result = await cli_verify(capsys, path, content)
    assert result.returncode == 1, result.stdout
    first = result.stdout.splitlines()[0]
    return first.split(": ", 1)[1].split(" does not match")[0]


async def test_the_export_route_is_for_auditors_of_the_conversations_tenant(
    audit_env: Settings, client: Client, worker: None, tenants: dict[str, str]
) -> None:
    async with serve_api(client, keyed(audit_env), tenants) as api:
        await _route_checks(api, audit_env, tenants)


async def _route_checks(api: ApiClient, audit_env: Settings, tenants: dict[str, str]) -> None:
    await api.post_message("te-1", "m-1", "hello", tenant="globex")
    keys = await keys_by_role(audit_env, tenants["acme"])
    for role in ("integrator", "ops", "admin"):
        refused = await as_key(api, keys[role], "GET", "/v1/conversations/te-1/export")
        assert refused.status == 403 and refused.body["fields"] == [
            {"field": "role", "message": "needs auditor"}
        ]
        assert "needs role auditor; this key's role" in refused.body["message"]  # admin neither
    elsewhere = await as_key(api, keys["auditor"], "GET", "/v1/conversations/te-1/export")
    assert elsewhere.status == 404 and elsewhere.body["error"] == "conversation_not_found"
    own = await as_key(
        api,
        (await keys_by_role(audit_env, tenants["globex"]))["auditor"],
        "GET",
        "/v1/conversations/te-1/export",
    )
    assert own.status == 200 and own.body["manifest"]["tenant"] == tenants["globex"]


def test_embedded_defaults_keep_one_audit_key_in_the_data_dir(tmp_path: Path) -> None:
    embedded = Settings(data_dir=tmp_path / "data", temporal_address=None, audit_key=None)
    # An export from a shell elsewhere sealed its bundle under a key of its own, which `audit verify`
    # in the service's data directory refused: only `convoflow up` makes the key.
    with pytest.raises(AuditKeyError, match="`convoflow up` makes it in its data directory"):
        audit_key_of(embedded)
    assert not (tmp_path / "data").exists()
    key = audit_key_of(embedded, create=True)
    assert audit_key_of(embedded) == key and len(key) > 32
    assert (tmp_path / "data" / DEV_AUDIT_KEY_FILE).stat().st_mode & 0o777 == 0o600


async def test_a_damaged_history_names_the_event_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An auditor's replay of a bundle whose history was edited: a payload changed by one character
    printed the SDK's traceback and "event not named: Encoded failure"; a removed event said "event
    not named" though the core named the event it met instead."""
    recorded = json.loads((HISTORIES / "answer-r-1.json").read_text(encoding="utf-8"))
    started = recorded["events"][0]["workflowExecutionStartedEventAttributes"]
    its_workflow, its_run = started["workflowId"], started["originalExecutionRunId"]

    def edited(
        change: Callable[[list[dict[str, Any]]], None], workflow_id: str = its_workflow, run: str = its_run
    ) -> audit_bundle.Recorded:
        raw = json.loads(json.dumps(recorded))
        change(raw["events"])
        return audit_bundle.Recorded("c-1", run, WorkflowHistory.from_json(workflow_id, raw))

    def one_character(events: list[dict[str, Any]]) -> None:
        payload = events[0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
        payload["data"] = ("A" if payload["data"][0] != "A" else "B") + payload["data"][1:]

    def without_the_first_marker(events: list[dict[str, Any]]) -> None:
        events.remove(next(e for e in events if e["eventType"] == "EVENT_TYPE_MARKER_RECORDED"))

    marker = next(e for e in recorded["events"] if e["eventType"] == "EVENT_TYPE_MARKER_RECORDED")
    after = int(marker["eventId"]) + 1
    # Another tenant's history put in a bundle of this one's conversation: "event not named" and the
    # SDK's 26-line traceback, the cause ("payload of another tenant") inside it only.
    swapped = edited(lambda events: None, "conversation:globex-00000000:r-1")

    # Two events swapped: the SDK's core panicked and the replay never ended (helper-121); another
    # run's history under this run's name replayed as "0 differences".
    def two_swapped(events: list[dict[str, Any]]) -> None:
        events[3], events[4] = events[4], events[3]

    def swapped_and_renumbered(events: list[dict[str, Any]]) -> None:
        two_swapped(events)
        for number, event in enumerate(events, 1):
            event["eventId"] = str(number)

    another_run = edited(lambda events: None, run="01a25000-0000-7000-8000-000000000000")
    tally = await replay_all(
        [
            edited(one_character),
            edited(without_the_first_marker),
            swapped,
            edited(two_swapped),
            edited(swapped_and_renumbered),
            another_run,
        ],
        TEST_DATA_CONVERTER,
    )
    assert tally.summary() == "6 replayed, 6 differences"
    payload, missing, other, moved, renumbered, not_its = tally.differences
    assert renumbered.detail == "follows the workflow task started at event 3, which it cannot"
    assert other.event == "event 1 WORKFLOW_EXECUTION_STARTED"
    assert f"this history is run {its_run} of {its_workflow}, not run" in other.detail, other.detail
    assert moved.event.startswith("event 5 "), moved  # named, not a replay that never ends
    assert not_its.event == "event 1 WORKFLOW_EXECUTION_STARTED" and its_run in not_its.detail
    assert payload.event == "event 1 WORKFLOW_EXECUTION_STARTED"
    assert payload.detail == "a payload does not decode: payload under key 'test-1' does not decrypt"
    assert missing.event.startswith(f"event {after} ") and "one is missing" in missing.detail, missing
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the auditor's terminal"


async def test_a_run_made_by_a_reset_is_its_own_history_to_replay(
    client: Client, api: ApiClient, worker: None
) -> None:
    """A run made by `temporal workflow reset` keeps its base run's id as its original one: the check
    for another run's history under this run's name flagged every conversation ops had reset, and
    `audit replay --all` failed before every deploy (helper-124)."""
    assert (await api.post_message("reset-1", "m-1", "Hello")).status == 201
    workflow_id = api.workflow_id("reset-1")
    base = client.get_workflow_handle(workflow_id)
    history = await base.fetch_history()
    completed = next(
        e.event_id for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )
    described = await base.describe()
    reset = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=described.run_id),
            reason="test",
            workflow_task_finish_event_id=completed,
            request_id=str(uuid.uuid4()),
        )
    )
    after = await client.get_workflow_handle(workflow_id, run_id=reset.run_id).fetch_history()
    assert unreplayable(audit_bundle.Recorded("reset-1", reset.run_id, after)) is None
    borrowed = audit_bundle.Recorded("reset-1", str(uuid.uuid4()), after)  # still caught
    assert unreplayable(borrowed) is not None


def test_a_command_that_cannot_reach_temporal_exits_1_every_time(tmp_path: Path) -> None:
    """One `audit export` in four to twelve ended "Fatal Python error: PyGILState_Release" (exit 134,
    a core dump's worth of stderr) instead of exit 1: the Temporal SDK's native threads abort the
    interpreter's teardown (sdk-python #300), which the process entry now skips (the next test shows
    it does so on every path). Run as the `convoflow` script runs, a few times."""
    environment = {
        **os.environ,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing listens there
        "CONVOFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'control.sqlite'}",
        "CONVOFLOW_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS,
        "CONVOFLOW_AUDIT_KEY": AUDIT_KEY,
    }
    command = [sys.executable, "-m", "engine.cli", "audit", "export", "c-1", "--tenant", "acme"]

    def export(n: int) -> subprocess.CompletedProcess[str]:
        out = ["--output", str(tmp_path / f"{n}.json")]
        return subprocess.run([*command, *out], env=environment, capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(2) as pool:  # ~2 s of CPU each, mostly imports
        runs = list(pool.map(export, range(4)))
    assert [r.returncode for r in runs] == [1] * 4, [r.stderr[-300:] for r in runs if r.returncode != 1]
    assert all(r.stderr.startswith("convoflow audit: Temporal: ") for r in runs)
    assert not any("Fatal Python error" in r.stderr for r in runs)


# The module: `engine.cli.main` names the function of that name (engine/cli/__init__.py).
cli_main = importlib.import_module("engine.cli.main")


class _Exited(Exception):
    pass


@pytest.mark.parametrize(
    ("argv", "code", "said"),
    [
        (["sla", "elapsed", "--calendar", "/nonexistent.yaml", "--from", "x", "--to", "y"], 2, "--calendar"),
        (["no-such-command"], 2, "invalid choice"),  # argparse's SystemExit
        (["rules", "validate", "rule_packs/default"], 0, ""),
    ],
)
def test_the_process_entry_always_exits_without_the_teardown_with_the_command_s_code(
    argv: list[str], code: int, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every way out of a command goes through `os._exit` with its code, the exit handlers run
    first: a return, argparse's exit, an exception no command caught."""
    exits: list[int] = []
    handlers: list[bool] = []

    def exit_now(status: int) -> None:
        exits.append(status)
        raise _Exited

    monkeypatch.setattr(os, "_exit", exit_now)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: handlers.append(True))
    monkeypatch.setattr(sys, "argv", ["convoflow", *argv])
    with pytest.raises(_Exited):
        cli_main.run()
    assert exits == [code] and handlers == [True]
    assert said in capsys.readouterr().err
    monkeypatch.setattr(cli_main, "main", lambda: 1 / 0)  # a bug: its traceback, then exit 1
    with pytest.raises(_Exited):
        cli_main.run()
    assert exits[-1] == 1 and "ZeroDivisionError" in capsys.readouterr().err
