"""The keyed hash chain over a conversation's decision records: tamper evidence for an exported bundle.

Each record carries `chain` = HMAC-SHA256(key, previous record's chain + the record's canonical JSON),
the first one chained to a start value bound to the conversation's workflow id (records cannot be
moved to another conversation's bundle). The chain is computed at export, from records that Temporal
rebuilt from the conversation's event history (the append-only source of truth), not kept alongside
them: what it proves is that the bundle was not changed after export by someone without the key. An
edited record breaks its own link, a removed or reordered one breaks the link of the record after it,
and the manifest (also keyed, engine/audit/bundle.py) holds the count and the last link, so a record
cut off the end shows too. It proves nothing about the history before export; Temporal's history is
what the records come from, and the bundle carries it for replay (`convoflow audit replay`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

CHAIN_FIELD = "chain"
ALGORITHM = "HMAC-SHA256"
_START = b"convoflow audit chain v1\x00"
_FINGERPRINT = b"convoflow audit key fingerprint v1"


def canonical_json(value: Any) -> bytes:
    """The bytes a hash covers: sorted keys, no spaces, UTF-8 (the same value always hashes the same)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def keyed(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def key_fingerprint(key: bytes) -> str:
    """Names the key in the manifest without revealing it: verify says "wrong key" rather than "edited"."""
    return keyed(key, _FINGERPRINT)[:16]


def start_link(key: bytes, workflow_id: str) -> str:
    """What the first record chains to: bound to the conversation, so records cannot change bundles."""
    return keyed(key, _START + workflow_id.encode())


def link(key: bytes, previous: str, record: dict[str, Any]) -> str:
    """The chain value of `record` (its `chain` field left out) after the record whose chain is `previous`."""
    body = {name: value for name, value in record.items() if name != CHAIN_FIELD}
    return keyed(key, previous.encode() + canonical_json(body))


def chained(key: bytes, workflow_id: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of `records`, in order, each with its `chain` value."""
    previous = start_link(key, workflow_id)
    out = []
    for record in records:
        previous = link(key, previous, record)
        out.append({**record, CHAIN_FIELD: previous})
    return out


def head(key: bytes, workflow_id: str, records: list[dict[str, Any]]) -> str:
    """The last link (the start value when there are no records): what the manifest seals."""
    previous = start_link(key, workflow_id)
    for record in records:
        previous = link(key, previous, record)
    return previous


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


def first_break(key: bytes, workflow_id: str, records: list[dict[str, Any]]) -> ChainBreak | None:
    """Recompute the chain from the start; the first record whose stored `chain` differs, if any."""
    previous = start_link(key, workflow_id)
    for index, record in enumerate(records):
        previous = link(key, previous, record)
        stored = record.get(CHAIN_FIELD)
        if not isinstance(stored, str) or not hmac.compare_digest(stored, previous):
            return ChainBreak(index=index, seq=record.get("seq"), event=record.get("event"))
    return None
