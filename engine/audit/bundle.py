"""An audit bundle: everything needed to check one conversation offline.

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
the Ed25519 signature of the rest of the manifest (engine/audit/signing.py), so the file hashes and
the chain's end cannot be rewritten to match an edit by anyone but the service, and an auditor checks
with a public key that cannot sign. Format 1 bundles (an HMAC seal under the audit key) are still
read and checked (engine/audit/verification.py). Pure code: the service layer reads Temporal and the
database and hands the parts in (engine/service/audit_bundle.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.audit.chain import PLAIN_CHAIN, canonical_json
from engine.audit.signing import ALGORITHM as SIGNING_ALGORITHM
from engine.audit.signing import key_id, raw, sign, signing_key

FORMAT_1 = "convoflow-audit-bundle/1"
FORMAT = "convoflow-audit-bundle/2"
FORMATS = (FORMAT_1, FORMAT)
MANIFEST_FILE = "manifest.json"
DECISIONS_FILE = "decisions.json"
HISTORY_DIR = "history/"
PACK_DIR = "packs/"


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
    """A file's SHA-256 as format 1 wrote it, over its canonical JSON; a pack's name is this hash."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def file_sha256(value: Any) -> str:
    """A file's SHA-256 in a format 2 manifest: over the canonical JSON with its numbers written one way."""
    return hashlib.sha256(PLAIN_CHAIN.canonical(value)).hexdigest()


def signed_part(manifest: dict[str, Any]) -> bytes:
    """What a format 2 seal signs: the manifest without its seal."""
    return PLAIN_CHAIN.canonical({k: v for k, v in manifest.items() if k != "seal"})


def history_file(run_id: str) -> str:
    return f"{HISTORY_DIR}{run_id}.json"


def build(parts: BundleParts, audit_key: bytes) -> dict[str, Any]:
    """The bundle document: files, their manifest, the chained decision records and the signature
    made with the key pair derived from `audit_key`."""
    private: Ed25519PrivateKey = signing_key(audit_key)
    public = private.public_key()
    files: dict[str, Any] = {history_file(run.run_id): run.history for run in parts.runs}
    files.update({f"{PACK_DIR}{digest}.json": content for digest, content in sorted(parts.packs.items())})
    files[DECISIONS_FILE] = PLAIN_CHAIN.chained(parts.workflow_id, parts.decisions)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "conversation": parts.conversation,
        "workflow_id": parts.workflow_id,
        "tenant": parts.tenant,
        "exported_at": parts.exported_at,
        "exporter": {"name": "convoflow", "version": parts.exporter_version},
        "run_ids": [run.run_id for run in parts.runs],
        "pack_hashes": sorted(parts.packs),
        "files": [{"name": name, "sha256": file_sha256(value)} for name, value in files.items()],
        "chain": {
            "algorithm": PLAIN_CHAIN.algorithm,
            "records": len(parts.decisions),
            "head": PLAIN_CHAIN.head(parts.workflow_id, parts.decisions),
        },
        "signer": {
            "algorithm": SIGNING_ALGORITHM,
            "key_id": key_id(public),
            "public_key": base64.b64encode(raw(public)).decode(),
        },
        "notes": parts.notes,
    }
    manifest["seal"] = sign(private, signed_part(manifest))
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
    if manifest.get("format") not in FORMATS:
        raise BundleError(f"format {manifest.get('format')!r}: this version reads {' and '.join(FORMATS)}")
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
