"""The local outbox channel: one JSON line per outbound message, delivered at most once per key.

It is what `make run` uses instead of a real channel, and the model every adapter follows: the
idempotency key is checked and written under one lock, so a retried activity, a second worker
process, or a replayed event never appends the same message twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from engine.contracts.outbound import DeliveryResult, OutboundMessage


class Outbox:
    """An append-only JSONL file with an index of the keys it holds.

    The index is rebuilt incrementally from the bytes other processes appended since we last looked,
    so several worker processes on one machine share one outbox safely (flock serialises them).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: set[str] = set()
        self._read_offset = 0
        self._thread_lock = threading.Lock()

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.path, "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                self._catch_up(f)
                if message.idempotency_key in self._keys:
                    return DeliveryResult(idempotency_key=message.idempotency_key, delivered=False)
                record = message.model_dump(mode="json")
                record["delivered_at"] = datetime.now(UTC).isoformat()
                f.seek(0, os.SEEK_END)
                f.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
                f.flush()
                os.fsync(f.fileno())
                self._read_offset = f.tell()
                self._keys.add(message.idempotency_key)
                return DeliveryResult(idempotency_key=message.idempotency_key, delivered=True)
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _catch_up(self, f) -> None:
        f.seek(self._read_offset)
        for line in f:
            if not line.endswith(b"\n"):
                break  # a torn write from a crashed process: not a delivery
            self._read_offset += len(line)
            try:
                self._keys.add(json.loads(line)["idempotency_key"])
            except (ValueError, KeyError):
                continue

    def read_all(self) -> list[dict]:
        """Every delivered message, oldest first (for tests, the CLI and the README walk-through)."""
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.endswith("\n")]
