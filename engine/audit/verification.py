"""Checking a bundle offline: its chain, its seal, every file's hash, and that nothing it needs is missing.

A format 2 bundle is checked with the service's public key (`convoflow audit public-key`, or derived
from the audit key when the checker has it); a format 1 bundle only with the audit key itself, as it
was sealed (engine/audit/bundle.py says why format 2 signs).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from engine.audit.bundle import (
    DECISIONS_FILE,
    FORMAT_1,
    PACK_DIR,
    BundleError,
    checked_shape,
    file_sha256,
    sha256_of,
    signed_part,
)
from engine.audit.chain import PLAIN_CHAIN, Chain, canonical_json, key_fingerprint, keyed, keyed_chain
from engine.audit.signing import key_id, signed_by, signing_key
from engine.rules.pack import RulePack

_SEAL_1 = b"convoflow audit manifest v1\x00"


@dataclass(frozen=True)
class VerifyingKeys:
    """What a checker holds: the audit key itself (checks both formats), or the public key only."""

    secret: bytes | None = None
    public: Ed25519PublicKey | None = None
    """Given, or derived from `secret` once (not at each check of a batch's every bundle)."""

    def __post_init__(self) -> None:
        if self.public is None and self.secret is not None:
            object.__setattr__(self, "public", signing_key(self.secret).public_key())


@dataclass
class Verdict:
    """What `verify` found: the records it checked and every problem, the first chain break first."""

    records: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(bundle: Any, keys: VerifyingKeys) -> Verdict:
    """Recompute the chain, check the seal and every file hash of a bundle; BundleError when it is
    none (a value nested past what hashing it can walk: ~500 levels read, then a RecursionError
    stopped a batch and was told as Temporal's)."""
    try:
        return _verified(bundle, keys)
    except RecursionError:
        raise BundleError("JSON nested too deeply to be an audit bundle") from None


def _verified(bundle: Any, keys: VerifyingKeys) -> Verdict:
    manifest, files = checked_shape(bundle)
    verdict = Verdict()
    chain: dict[str, Any] = manifest["chain"] if isinstance(manifest.get("chain"), dict) else {}
    if manifest.get("format") == FORMAT_1:
        if (scheme := _keyed_scheme(verdict, chain, keys)) is None:
            return verdict
        hashed: Callable[[Any], str] = sha256_of
    else:
        if (scheme := _signed_scheme(verdict, manifest, keys)) is None:
            return verdict
        hashed = file_sha256
    records = files.get(DECISIONS_FILE)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        verdict.problems.append(f"{DECISIONS_FILE} is missing or is not a list of records")
        records = []
    workflow_id = str(manifest.get("workflow_id", ""))
    if (broken := scheme.first_break(workflow_id, records)) is not None:
        verdict.problems.append(broken.describe())
    elif not isinstance(count := chain.get("records"), int) or not isinstance(chain.get("head"), str):
        verdict.problems.append("the manifest was edited: its chain's record count or head is missing")
    elif count != len(records):
        cut = len(records) < count
        verdict.problems.append(
            f"the bundle holds {len(records)} decision records where {count} were exported: "
            + ("records were removed from the end" if cut else "records were added at the end")
            + ", or the manifest's count was edited"
        )
    elif not hmac.compare_digest(str(chain.get("head", "")), scheme.head(workflow_id, records)):
        verdict.problems.append(
            f"the chain's head does not match its {len(records)} decision records: records were removed "
            "from the end and the manifest's count edited to match, or the head itself was edited"
        )
    if not manifest.get("seal"):
        verdict.problems.append("the manifest has no seal: it was removed, or the bundle was never sealed")
    elif not _sealed(manifest, keys):
        verdict.problems.append("the manifest was edited: its seal does not match")
    verdict.problems.extend(_file_problems(manifest, files, hashed))
    verdict.problems.extend(_missing_parts(manifest, files, records))
    verdict.records = len(records)
    verdict.files = len(files)
    return verdict


def _keyed_scheme(verdict: Verdict, chain: dict[str, Any], keys: VerifyingKeys) -> Chain | None:
    """Format 1's chain under the audit key; None, with the problem said, when it cannot be checked."""
    if keys.secret is None:
        verdict.problems.append(
            "a format 1 bundle is sealed with the audit key itself: check it with the key "
            "(CONVOFLOW_AUDIT_KEY or --key-file), not the public key"
        )
        return None
    expected = chain.get("key_fingerprint")
    if expected is None:
        verdict.problems.append(
            "the manifest was edited: its chain (the key fingerprint, the record count and the head) "
            "is missing, so nothing could be checked"
        )
        return None
    if expected != key_fingerprint(keys.secret):
        verdict.problems.append(
            f"the key given is not the one this bundle was sealed with (key fingerprint "
            f"{key_fingerprint(keys.secret)}, bundle's {expected}), or the manifest's fingerprint "
            "was edited: nothing could be checked"
        )
        return None
    return keyed_chain(keys.secret)


def _signed_scheme(verdict: Verdict, manifest: dict[str, Any], keys: VerifyingKeys) -> Chain | None:
    """Format 2's chain; None, with the problem said, when no key it could be checked with was given."""
    trusted = keys.public
    if trusted is None:
        verdict.problems.append("no key to check the signature with: give --public-key FILE or --key-file")
        return None
    signer = manifest.get("signer")
    named = signer.get("key_id") if isinstance(signer, dict) else None
    if named != key_id(trusted):
        verdict.problems.append(
            f"the manifest names signing key {named}, not the key given ({key_id(trusted)}): signed by "
            "another key, or the manifest's signer was edited; nothing could be checked"
        )
        return None
    return PLAIN_CHAIN


def _sealed(manifest: dict[str, Any], keys: VerifyingKeys) -> bool:
    seal = manifest.get("seal")
    if manifest.get("format") == FORMAT_1:
        assert keys.secret is not None  # _keyed_scheme refused a check without it
        body = canonical_json({k: v for k, v in manifest.items() if k != "seal"})
        return hmac.compare_digest(str(seal or ""), keyed(keys.secret, _SEAL_1 + body))
    trusted = keys.public
    return trusted is not None and signed_by(trusted, signed_part(manifest), seal)


def _file_problems(
    manifest: dict[str, Any], files: dict[str, Any], hashed: Callable[[Any], str]
) -> list[str]:
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
        elif entry.get("sha256") != hashed(files[name]):
            problems.append(f"file {name}: its SHA-256 differs from the manifest's: it was edited")
    problems += [f"file {name}: not in the manifest: it was added" for name in sorted(set(files) - listed)]
    for name, content in files.items():
        if name.startswith(PACK_DIR) and not _named_by_its_hash(
            content, name[len(PACK_DIR) :].removesuffix(".json")
        ):
            problems.append(f"file {name}: the pack's content does not hash to its name")
    return problems


def _named_by_its_hash(content: Any, digest: str) -> bool:
    """A pack's name is its hash (engine/rules/pack.py content_hash). A tool that rewrote `30.0` as
    `30` changed the text, not the pack: read as a pack again, it hashes as published."""
    if sha256_of(content) == digest:
        return True
    try:
        return RulePack.model_validate(content).content_hash == digest
    except (ValidationError, ValueError, TypeError):
        return False


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
