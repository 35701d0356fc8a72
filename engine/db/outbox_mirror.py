"""The outbox's mirror file: one JSON line per delivered message, for `tail -f` under `make run`.

Several worker processes of one host append to it (flock keeps their lines whole); an erasure takes
a customer's lines out under the same lock. The table (engine/db/schema outbox) is the record; the
mirror is written by embedded defaults only.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.private_files import append_private


def append_lines(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """Whole JSON lines; flock keeps lines of several worker processes on one host whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with append_private(path) as f:  # the replies as sent: personal data
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.write(b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records))
            f.flush()
            os.fsync(f.fileno())
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def read_mirror(path: Path) -> list[dict[str, Any]]:
    """The JSONL mirror's messages, oldest first (a torn last line from a crash is not a message)."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def remove_from_mirror(path: Path, conversations: set[str]) -> int:
    """The mirror's lines of `conversations` (workflow ids) taken out, under the appenders' lock: an
    erasure's. The number of lines removed."""
    if not path.exists():
        return 0
    with open(path, "r+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            lines = f.read().splitlines(keepends=True)
            kept = [line for line in lines if _conversation_of(line) not in conversations]
            f.seek(0)
            f.write(b"".join(kept))
            f.truncate()
            f.flush()
            os.fsync(f.fileno())
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    return len(lines) - len(kept)


def _conversation_of(line: bytes) -> str | None:
    try:
        return json.loads(line).get("conversation_id")
    except ValueError:
        return None  # a torn last line: not a message of anyone's
