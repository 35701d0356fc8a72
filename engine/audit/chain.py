"""The hash chain over a conversation's decision records: tamper evidence for an exported bundle.

Each record carries `chain` = a digest of the previous record's chain + the record's canonical JSON,
the first one chained to a start value bound to the conversation's workflow id (records cannot be
moved to another conversation's bundle). The chain is computed at export, from records that Temporal
rebuilt from the conversation's event history (the append-only source of truth), not kept alongside
them: what it proves, with the manifest that holds its count and last link, is that the bundle was not
changed after export. An edited record breaks its own link, a removed or reordered one breaks the
link of the record after it, and a record cut off the end shows in the count and the last link.

Two schemes, by bundle format (engine/audit/bundle.py):
- format 1, `KeyedChain`: HMAC-SHA256 under the audit key; the manifest was sealed with the same key,
  so checking needed the key, and whoever held it could also rewrite a bundle and chain it again;
- format 2, `PLAIN_CHAIN`: SHA-256, which anyone can recompute; what makes the last link evidence is
  the manifest's signature (engine/audit/signing.py), which only the service can make. Its canonical
  JSON writes an integral number one way (`480.0` and `480` are one value): a bundle reformatted by
  a tool that rewrites numbers (jq) was reported edited.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CHAIN_FIELD = "chain"
_FINGERPRINT = b"convoflow audit key fingerprint v1"


def canonical_json(value: Any) -> bytes:
    """The bytes a hash covers: sorted keys, no spaces, UTF-8 (the same value always hashes the same)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_numbers_json(value: Any) -> bytes:
    """`canonical_json` with every integral float written as an integer: one value, one text, however
    a tool that read and wrote the file spelled the number."""
    return canonical_json(integral_as_int(value))


def integral_as_int(value: Any) -> Any:
    """`value` with every integral float an int, at any depth (480.0 is written as 480)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: integral_as_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_as_int(item) for item in value]
    return value


def keyed(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def key_fingerprint(key: bytes) -> str:
    """Names the audit key without revealing it (format 1's manifest, the cluster's record of the key)."""
    return keyed(key, _FINGERPRINT)[:16]


@dataclass(frozen=True)
class Chain:
    """How one bundle format links its records: the digest, its start label, the canonical form."""

    algorithm: str
    digest: Callable[[bytes], str]
    start_label: bytes
    canonical: Callable[[Any], bytes]

    def start_link(self, workflow_id: str) -> str:
        """What the first record chains to: bound to the conversation, so records cannot change bundles."""
        return self.digest(self.start_label + workflow_id.encode())

    def link(self, previous: str, record: dict[str, Any]) -> str:
        """The chain value of `record` (its `chain` field left out) after the record whose chain is
        `previous`."""
        body = {name: value for name, value in record.items() if name != CHAIN_FIELD}
        return self.digest(previous.encode() + self.canonical(body))

    def chained(self, workflow_id: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Copies of `records`, in order, each with its `chain` value."""
        previous = self.start_link(workflow_id)
        out = []
        for record in records:
            previous = self.link(previous, record)
            out.append({**record, CHAIN_FIELD: previous})
        return out

    def head(self, workflow_id: str, records: list[dict[str, Any]]) -> str:
        """The last link (the start value when there are no records): what the manifest seals."""
        previous = self.start_link(workflow_id)
        for record in records:
            previous = self.link(previous, record)
        return previous

    def first_break(self, workflow_id: str, records: list[dict[str, Any]]) -> ChainBreak | None:
        """Recompute the chain from the start; the first record whose stored `chain` differs, if any."""
        previous = self.start_link(workflow_id)
        for index, record in enumerate(records):
            previous = self.link(previous, record)
            stored = record.get(CHAIN_FIELD)
            if not isinstance(stored, str) or not hmac.compare_digest(stored, previous):
                return ChainBreak(index=index, seq=record.get("seq"), event=record.get("event"))
        return None


def keyed_chain(key: bytes) -> Chain:
    """Format 1's chain: HMAC-SHA256 under the audit key."""
    return Chain(
        "HMAC-SHA256", lambda data: keyed(key, data), b"convoflow audit chain v1\x00", canonical_json
    )


PLAIN_CHAIN = Chain(
    "SHA-256",
    lambda data: hashlib.sha256(data).hexdigest(),
    b"convoflow audit chain v2\x00",
    canonical_numbers_json,
)
"""Format 2's chain: SHA-256; the manifest's signature is what vouches for its last link."""


@dataclass(frozen=True)
class ChainBreak:
    """The first record whose link does not match: edited, or a record before it removed or moved."""

    index: int
    seq: Any
    event: Any

    def describe(self) -> str:
        return (
            f"decision record #{self.index + 1} (seq {self.seq}, event {self.event}) does not match its "
            "chain: it was edited, or a record before it was removed or reordered"
        )
