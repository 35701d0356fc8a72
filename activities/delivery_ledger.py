"""Which idempotency keys an adapter has delivered, in SQLite beside the outbox.

Checked before a send and written after it, so a retried activity does not send again. The gap
between a send and its record (a worker killed in between) is closed on the far side: every send
carries the key (`Idempotency-Key` / `webhook-id` for HTTP, a Message-ID derived from it for email).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path


class DeliveryLedger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS delivered"
            " (key TEXT PRIMARY KEY, adapter TEXT NOT NULL, at TEXT NOT NULL)"
        )
        self._lock = threading.Lock()

    def delivered(self, key: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM delivered WHERE key = ?", (key,)).fetchone() is not None

    def record(self, key: str, adapter: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO delivered (key, adapter, at) VALUES (?, ?, ?)",
                (key, adapter, datetime.now(UTC).isoformat()),
            )
