"""An audit bundle: everything needed to check one conversation offline, and the check itself.

A bundle is one JSON document `{"manifest": ..., "files": {name: JSON value}}`, or the same as a zip
holding `manifest.json` and one member per file. The files:

- `history/<run id>.json`: Temporal's event history of each run of the conversation's workflow
  (`WorkflowHistory.to_json()`; payloads stay as Temporal stores them, encrypted under the tenant's
  payload key), oldest run first: what `convoflow audit replay` replays;
- `packs/<hash>.json`: each rule pack the conversation's decisions used, in its canonical form
  (the content its hash covers, so the name checks the content);
- `decisions.json`: the decision trail, each record chained to the one before (engine/audit/chain.py).

The manifest lists the files with their SHA-256 (over their canonical JSON, so the zip and the single
document hash alike), the run ids, the pack hashes, the chain's length and last link, and a `seal`:
HMAC of the rest of the manifest under the audit key, so the file hashes and the chain's end cannot be
rewritten to match an edit without the key. Pure code: the service layer reads Temporal and the
database and hands the parts in (engine/service/audit_bundle.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from engine.audit.chain import ALGORITHM, canonical_json, chained, first_break, head, key_fingerprint, keyed

FORMAT = "convoflow-audit-bundle/1"
MANIFEST_FILE = "manifest.json"
DECISIONS_FILE = "decisions.json"
HISTORY_DIR = "history/"
PACK_DIR = "packs/"
_SEAL = b"convoflow audit manifest v1\x00"


class BundleError(ValueError):
    """Not a bundle this version reads; the message says what is missing."""


@dataclass(frozen=True)
class RunHistory:
    """One workflow run's history as Temporal's JSON (the dict form of `WorkflowHistory.to_json()`)."""

    run_id: str
    history: dict[str, Any]


@dataclass(frozen=True)
class BundleParts:
    """What the service layer read for one conversation."""

    conversation: str
    workflow_id: str
    tenant: str
    exported_at: str
    exporter_version: str
    runs: list[RunHistory]
    packs: dict[str, dict[str, Any]]
    decisions: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def seal_of(key: bytes, manifest: dict[str, Any]) -> str:
    return keyed(key, _SEAL + canonical_json({k: v for k, v in manifest.items() if k != "seal"}))


def history_file(run_id: str) -> str:
    return f"{HISTORY_DIR}{run_id}.json"


def build(parts: BundleParts, key: bytes) -> dict[str, Any]:
    """The bundle document: files, their manifest, the chained decision records and the seal."""
    files: dict[str, Any] = {history_file(run.run_id): run.history for run in parts.runs}
    files.update({f"{PACK_DIR}{digest}.json": content for digest, content in sorted(parts.packs.items())})
    files[DECISIONS_FILE] = chained(key, parts.workflow_id, parts.decisions)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "conversation": parts.conversation,
        "workflow_id": parts.workflow_id,
        "tenant": parts.tenant,
        "exported_at": parts.exported_at,
        "exporter": {"name": "convoflow", "version": parts.exporter_version},
        "run_ids": [run.run_id for run in parts.runs],
        "pack_hashes": sorted(parts.packs),
        "files": [{"name": name, "sha256": sha256_of(value)} for name, value in files.items()],
        "chain": {
            "algorithm": ALGORITHM,
            "key_fingerprint": key_fingerprint(key),
            "records": len(parts.decisions),
            "head": head(key, parts.workflow_id, parts.decisions),
        },
        "notes": parts.notes,
    }
    manifest["seal"] = seal_of(key, manifest)
    return {"manifest": manifest, "files": files}


def as_files(bundle: dict[str, Any]) -> dict[str, bytes]:
    """The zip members of a bundle: `manifest.json` and each file, as canonical JSON."""
    members = {MANIFEST_FILE: canonical_json(bundle["manifest"])}
    members.update({name: canonical_json(value) for name, value in bundle["files"].items()})
    return members


class DuplicateKey(ValueError):
    pass


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


def loads(data: bytes | str, what: str) -> Any:
    """JSON of a bundle, refusing a key written twice in one object: a reader keeps the last, so an
    edited copy put before the original (or after it) hid in a file that still verified, as a zip's
    repeated member name would (engine/service/audit_bundle.py refuses those)."""
    try:
        return json.loads(data, object_pairs_hook=_no_repeated_keys)
    except DuplicateKey as exc:
        raise BundleError(
            f"{what}: the key {str(exc)[:80]!r} is written twice in one object: edited"
        ) from None
    except RecursionError:
        raise BundleError(f"{what}: JSON nested too deeply to be part of an audit bundle") from None


def from_files(members: dict[str, bytes]) -> dict[str, Any]:
    """The bundle document of a zip's members; BundleError when one is not JSON or there is no manifest."""
    if MANIFEST_FILE not in members:
        raise BundleError(f"no {MANIFEST_FILE} in the archive: not an audit bundle")
    parsed: dict[str, Any] = {}
    for name, data in members.items():
        try:
            parsed[name] = loads(data, name)
        except BundleError:
            raise
        except (ValueError, UnicodeDecodeError):
            raise BundleError(f"{name} is not JSON") from None
    manifest = parsed.pop(MANIFEST_FILE)
    return {"manifest": manifest, "files": parsed}


def checked_shape(bundle: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest and files of a parsed bundle; BundleError when it is not one."""
    if not isinstance(bundle, dict) or not isinstance(bundle.get("manifest"), dict):
        raise BundleError("no manifest: not an audit bundle")
    manifest, files = bundle["manifest"], bundle.get("files")
    if manifest.get("format") != FORMAT:
        raise BundleError(f"format {manifest.get('format')!r}: this version reads {FORMAT}")
    if not isinstance(files, dict):
        raise BundleError("no files: not an audit bundle")
    return manifest, files


def histories(bundle: Any) -> list[tuple[str, dict[str, Any]]]:
    """(run id, history) of each run in the bundle, in the manifest's order (oldest first)."""
    manifest, files = checked_shape(bundle)
    out = []
    for run_id in manifest.get("run_ids", []):
        history = files.get(history_file(str(run_id)))
        if not isinstance(history, dict):
            raise BundleError(f"the history of run {run_id} is missing from the bundle")
        out.append((str(run_id), history))
    return out


@dataclass
class Verdict:
    """What `verify` found: the records it checked and every problem, the first chain break first."""

    records: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(bundle: Any, key: bytes) -> Verdict:
    """Recompute the chain, the seal and every file hash of a bundle with the audit key."""
    manifest, files = checked_shape(bundle)
    verdict = Verdict()
    chain: dict[str, Any] = manifest["chain"] if isinstance(manifest.get("chain"), dict) else {}
    expected_fingerprint = chain.get("key_fingerprint")
    if expected_fingerprint is None:
        verdict.problems.append(
            "the manifest was edited: its chain (the key fingerprint, the record count and the head) "
            "is missing, so nothing could be checked"
        )
        return verdict
    if expected_fingerprint != key_fingerprint(key):
        verdict.problems.append(
            f"the key given is not the one this bundle was sealed with (key fingerprint "
            f"{key_fingerprint(key)}, bundle's {expected_fingerprint}): nothing could be checked"
        )
        return verdict
    records = files.get(DECISIONS_FILE)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        verdict.problems.append(f"{DECISIONS_FILE} is missing or is not a list of records")
        records = []
    workflow_id = str(manifest.get("workflow_id", ""))
    if (broken := first_break(key, workflow_id, records)) is not None:
        verdict.problems.append(broken.describe())
    elif not isinstance(count := chain.get("records"), int) or not isinstance(chain.get("head"), str):
        verdict.problems.append("the manifest was edited: its chain's record count or head is missing")
    elif count != len(records):
        cut = len(records) < count
        verdict.problems.append(
            f"the bundle holds {len(records)} decision records where {count} were exported: "
            + ("records were removed from the end" if cut else "records were added at the end")
        )
    elif not hmac.compare_digest(str(chain.get("head", "")), head(key, workflow_id, records)):
        verdict.problems.append(
            f"the chain's head does not match its {len(records)} decision records: records were removed "
            "from the end and the manifest's count edited to match, or the head itself was edited"
        )
    if not hmac.compare_digest(str(manifest.get("seal", "")), seal_of(key, manifest)):
        verdict.problems.append("the manifest was edited: its seal does not match")
    verdict.problems.extend(_file_problems(manifest, files))
    verdict.problems.extend(_missing_parts(manifest, files, records))
    verdict.records = len(records)
    verdict.files = len(files)
    return verdict


def _file_problems(manifest: dict[str, Any], files: dict[str, Any]) -> list[str]:
    problems = []
    listed: set[str] = set()
    entries = manifest.get("files", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return ["the manifest was edited: its `files` is not a list of files with their SHA-256"]
    for entry in entries:
        name = str(entry.get("name"))
        listed.add(name)
        if name not in files:
            problems.append(f"file {name}: listed in the manifest, missing from the bundle")
        elif entry.get("sha256") != sha256_of(files[name]):
            problems.append(f"file {name}: its SHA-256 differs from the manifest's: it was edited")
    problems += [f"file {name}: not in the manifest: it was added" for name in sorted(set(files) - listed)]
    for name, content in files.items():  # a pack's name is its hash (engine/rules/pack.py content_hash)
        if name.startswith(PACK_DIR) and sha256_of(content) != name[len(PACK_DIR) :].removesuffix(".json"):
            problems.append(f"file {name}: the pack's content does not hash to its name")
    return problems


def _missing_parts(manifest: dict[str, Any], files: dict[str, Any], records: list[Any]) -> list[str]:
    """What an intact bundle still lacks: a rule pack its decisions name (the store's copy was
    unknown or altered at export), or what the exporter noted it could not read. Such a bundle was
    "verified", exit 0, and an auditor could not tell its decisions from a complete record."""
    used = {
        str(record["decision"]["pack_hash"])
        for record in records
        if isinstance(record.get("decision"), dict) and record["decision"].get("pack_hash")
    }
    problems = [
        f"incomplete: decisions used rule pack {digest}, which the bundle does not hold"
        for digest in sorted(used)
        if f"{PACK_DIR}{digest}.json" not in files
    ]
    notes = manifest.get("notes")
    for note in notes if isinstance(notes, list) else []:
        problems.append(f"incomplete: the exporter noted: {note}")
    return problems
