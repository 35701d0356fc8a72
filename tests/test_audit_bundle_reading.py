"""`audit export` and `audit verify` of bundles that are whole but incomplete, written twice over, or
not there: what an auditor is told. Bundles made from parts, without a server (the service's export
is tests/test_audit_bundle.py)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from engine.audit.bundle import BundleParts, RunHistory, build, file_sha256, sha256_of, signed_part
from engine.audit.chain import PLAIN_CHAIN, canonical_json
from engine.audit.signing import sign, signing_key
from engine.rules.pack import RulePack
from engine.service.audit_bundle import write_bundle
from engine.service.config import Settings
from engine.service.payload_keys import keyring_of
from tests.cli_run import run_cli

KEY = "bundle-reading-audit-key-0123456789"
PACK = RulePack.model_validate({"meta": {"name": "p"}, "rules": []}).canonical()  # has 60.0 in it
PACK_HASH = sha256_of(PACK)  # a pack's name is its hash
FORMAT_1 = Path(__file__).parent / "bundles" / "format-1.json"
"""Sealed by the release before format 2 (HMAC under KEY), from `parts(packs={PACK_HASH: PACK})`."""


def parts(*, packs: dict[str, Any] | None = None, notes: list[str] | None = None) -> BundleParts:
    decision = {"pack": "p", "pack_hash": PACK_HASH, "rules": [], "actions": [], "business_minutes": 480.0}
    return BundleParts(
        conversation="c-1",
        workflow_id="conversation:acme:c-1",
        tenant="acme",
        exported_at="2026-12-07T10:00:00Z",
        exporter_version="test",
        runs=[RunHistory("run-1", {"events": []})],
        packs={} if packs is None else packs,
        decisions=[{"seq": 1, "event": "conversation.created", "decision": decision}],
        notes=notes or [],
    )


@pytest.fixture(autouse=True)
def auditor_s_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The key, and no service data: bundles are checked where an auditor works."""
    monkeypatch.setenv("CONVOFLOW_AUDIT_KEY", KEY)
    monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(tmp_path / "no-service-here"))
    for setting in ("CONVOFLOW_DATABASE_URL", "CONVOFLOW_PAYLOAD_KEYS", "TEMPORAL_ADDRESS"):
        monkeypatch.delenv(setting, raising=False)


def test_a_bundle_without_a_pack_its_decisions_used_is_not_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pack row altered in the store was left out at export, with a note nobody printed: export
    said "exported", verify "5 records verified", exit 0 both, and the decisions' pack was nowhere."""
    note = f"rule pack {PACK_HASH[:12]} was altered in the store: not exported"
    path = tmp_path / "incomplete.json"
    write_bundle(path, build(parts(notes=[note]), KEY.encode()))
    verified = run_cli(capsys, ["audit", "verify", str(path)])
    assert verified.returncode == 1, verified.stdout
    assert f"incomplete: decisions used rule pack {PACK_HASH}, which the bundle does not hold" in (
        verified.stdout
    )
    assert f"incomplete: the exporter noted: {note}" in verified.stdout
    assert "records verified" not in verified.stdout


def test_a_key_written_twice_is_refused_and_a_cut_bundle_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reader keeps the last of two equal keys: an edited `"outcome"` (or a second
    `"decisions.json"`) put before the original passed verify while the file showed the edit."""
    bundle = build(parts(packs={}), KEY.encode())
    text = canonical_json(bundle).decode()
    doubled = text.replace(
        '"event":"conversation.created"', '"event":"sla.breached","event":"conversation.created"'
    )
    assert doubled != text
    (tmp_path / "doubled.json").write_text(doubled)
    said = run_cli(capsys, ["audit", "verify", str(tmp_path / "doubled.json")])
    assert said.returncode == 1
    assert "the key 'event' is written twice in one object: edited" in said.stderr, said
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    cut = run_cli(capsys, ["audit", "verify", str(tmp_path / "cut.json")])
    assert cut.returncode == 1 and "not valid JSON (cut short or damaged?)" in cut.stderr, cut


def test_a_batch_goes_on_past_a_path_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.json"
    write_bundle(whole, build(parts(packs={PACK_HASH: PACK}), KEY.encode()))
    batch = [str(tmp_path / "missing.json"), str(tmp_path), str(whole)]
    ran = run_cli(capsys, ["audit", "verify", *batch])
    lines = ran.stdout.splitlines()
    assert ran.returncode == 1
    assert lines[0] == f"{tmp_path / 'missing.json'}: cannot read it (No such file or directory)"
    assert lines[1] == f"{tmp_path}: cannot read it (Is a directory)"
    assert lines[2].startswith(f"{whole}: 1 records verified (3 files match the manifest)"), lines
    assert lines[-1] == "1 of 3 bundles verified"


@pytest.mark.parametrize("suffix", [".json", ".zip"])
def test_a_bundle_is_written_for_its_owner_only(tmp_path: Path, suffix: str) -> None:
    """It holds what the rules read, message texts among it: written 0644, any user could read it."""
    path = tmp_path / f"bundle{suffix}"
    path.write_text("an older file, readable by all")
    path.chmod(0o644)
    write_bundle(path, build(parts(), KEY.encode()))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_auditor_checks_with_the_public_key_and_cannot_sign_an_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Format 1 was sealed with HMAC under the audit key that checking needed: whoever held it (an
    auditor; one tenant's auditor) edited a rule's outcome in another tenant's bundle, chained and
    sealed it again, and verify said "13 records verified". Format 2 is signed; the auditor holds a
    public key, which checks and cannot sign."""
    public = run_cli(capsys, ["audit", "public-key"])
    assert public.returncode == 0 and public.stdout.startswith("-----BEGIN PUBLIC KEY-----"), public
    (tmp_path / "convoflow.pub").write_text(public.stdout)
    monkeypatch.delenv("CONVOFLOW_AUDIT_KEY")  # the auditor's machine: the public key only
    genuine = build(parts(packs={PACK_HASH: PACK}), KEY.encode())
    write_bundle(tmp_path / "genuine.json", genuine)
    pub = str(tmp_path / "convoflow.pub")
    checked = run_cli(capsys, ["audit", "verify", "--public-key", pub, str(tmp_path / "genuine.json")])
    assert checked.returncode == 0 and checked.stdout.startswith("1 records verified"), checked
    # ... naming the key it checked with: the `# key id` line of `audit public-key` (helper-121)
    named = public.stdout.split("# key id ")[1].split(":")[0]
    assert checked.stdout.rstrip().endswith(f", sealed by key {named}"), checked.stdout

    # Everything anyone can recompute, recomputed: the chain, the head, the files' hashes.
    forged = json.loads(json.dumps(genuine))
    records = [{k: v for k, v in r.items() if k != "chain"} for r in forged["files"]["decisions.json"]]
    records[0]["event"] = "sla.breached"
    forged["files"]["decisions.json"] = PLAIN_CHAIN.chained("conversation:acme:c-1", records)
    forged["manifest"]["chain"]["head"] = PLAIN_CHAIN.head("conversation:acme:c-1", records)
    forged["manifest"]["files"] = [
        {"name": name, "sha256": file_sha256(value)} for name, value in forged["files"].items()
    ]
    write_bundle(tmp_path / "forged.json", forged)
    caught = run_cli(capsys, ["audit", "verify", "--public-key", pub, str(tmp_path / "forged.json")])
    assert caught.returncode == 1 and "the manifest was edited: its seal does not match" in caught.stdout
    # ... and signed with a key of the forger's own, named in the manifest.
    theirs = signing_key(b"the forger's own key, long enough")
    forged["manifest"]["signer"]["key_id"] = "f" * 16
    forged["manifest"]["seal"] = sign(theirs, signed_part(forged["manifest"]))
    write_bundle(tmp_path / "resigned.json", forged)
    other = run_cli(capsys, ["audit", "verify", "--public-key", pub, str(tmp_path / "resigned.json")])
    assert other.returncode == 1 and f"names signing key {'f' * 16}, not the key given" in other.stdout
    # ... or with its seal removed: said as that (it read "its seal does not match").
    unsealed = json.loads(json.dumps(genuine))
    del unsealed["manifest"]["seal"]
    write_bundle(tmp_path / "unsealed.json", unsealed)
    bare = run_cli(capsys, ["audit", "verify", "--public-key", pub, str(tmp_path / "unsealed.json")])
    assert bare.returncode == 1 and "the manifest has no seal" in bare.stdout, bare.stdout


def test_a_bundle_reformatted_by_a_tool_that_rewrites_numbers_still_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jq . bundle.json` writes 480.0 as 480: every hash over the file's text then differed, and
    verify reported an edited record, three edited files and packs not hashing to their names."""
    bundle = build(parts(packs={PACK_HASH: PACK}), KEY.encode())
    text = json.dumps(bundle, indent=2)
    assert "480.0" in text and "60.0" in text
    (tmp_path / "jq.json").write_text(text.replace("480.0", "480").replace("60.0", "60"))
    checked = run_cli(capsys, ["audit", "verify", str(tmp_path / "jq.json")])
    assert checked.returncode == 0, checked.stdout


def test_a_format_1_bundle_still_verifies_with_the_audit_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = json.loads(FORMAT_1.read_bytes())
    assert bundle["manifest"]["format"] == "convoflow-audit-bundle/1"
    checked = run_cli(capsys, ["audit", "verify", str(FORMAT_1)])
    assert checked.returncode == 0 and checked.stdout.startswith("1 records verified"), checked
    assert checked.stdout.rstrip().endswith("(format 1: sealed with the audit key)"), checked
    bundle["files"]["decisions.json"][0]["event"] = "sla.breached"
    (tmp_path / "edited.json").write_bytes(canonical_json(bundle))
    edited = run_cli(capsys, ["audit", "verify", str(tmp_path / "edited.json")])
    assert edited.returncode == 1 and "decision record #1 (seq 1, event sla.breached)" in edited.stdout
    public = run_cli(capsys, ["audit", "public-key"]).stdout
    (tmp_path / "convoflow.pub").write_text(public)
    only_public = run_cli(
        capsys, ["audit", "verify", "--public-key", str(tmp_path / "convoflow.pub"), str(FORMAT_1)]
    )
    assert only_public.returncode == 1 and "a format 1 bundle is sealed with the audit key itself" in (
        only_public.stdout
    )


def test_a_bundle_nested_too_deeply_to_hash_is_said_so_and_the_batch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = build(parts(packs={PACK_HASH: PACK}), KEY.encode())
    write_bundle(tmp_path / "whole.json", bundle)
    deep: Any = 1
    for _ in range(900):  # read by the parser, too deep for the hashing's walk
        deep = [deep]
    bundle["files"]["decisions.json"][0]["deep"] = deep
    (tmp_path / "deep.json").write_bytes(canonical_json(bundle))
    ran = run_cli(capsys, ["audit", "verify", str(tmp_path / "deep.json"), str(tmp_path / "whole.json")])
    assert f"{tmp_path / 'deep.json'}: JSON nested too deeply to be an audit bundle" in ran.stdout, ran
    assert ran.stdout.strip().endswith("1 of 2 bundles verified") and "Temporal" not in ran.stderr


def test_export_from_a_data_dir_whose_up_listens_elsewhere_names_the_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` on a moved gRPC port, then `audit export` with its data directory only: "Temporal at
    127.0.0.1:7233 did not answer", where `agents` and `quarantine` name the two settings to give."""
    data = tmp_path / "no-service-here"
    keyring_of(Settings(data_dir=data, temporal_address=None), create=True)
    ran = run_cli(capsys, ["audit", "export", "c-1", "--tenant", "acme"])
    assert ran.returncode == 1, ran
    assert f"no `convoflow up` of {data.resolve()} listens on port 7233" in ran.stderr, ran.stderr
    assert "CONVOFLOW_EMBEDDED_GRPC_PORT" in ran.stderr and "Temporal:" not in ran.stderr
