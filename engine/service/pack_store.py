"""Published packs: stored under their content hash, never changed, one of them active.

Layout under `{data dir}/rule_packs/`: `{sha256}.json` (the canonical pack), `active` (the hash new
conversations pin), `published.jsonl` (when each version was published, newest last).
Running conversations keep the hash they pinned, so publishing never changes them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.rules.pack import RulePack
from engine.service.config import Settings
from engine.service.pack_files import load_valid

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class PublishedVersion:
    hash: str
    name: str
    version: str
    published_at: str
    active: bool


class PackStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def publish(self, pack: RulePack) -> str:
        """Store the pack (if new) and make it active; returns its hash."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = pack.content_hash
        target = self.root / f"{digest}.json"
        if not target.exists():
            _write_atomically(target, json.dumps(pack.canonical(), sort_keys=True, indent=1))
        with open(self.root / "published.jsonl", "a", encoding="utf-8") as log:
            log.write(
                json.dumps(
                    {
                        "hash": digest,
                        "name": pack.meta.name,
                        "version": pack.meta.version,
                        "published_at": datetime.now(UTC).isoformat(),
                    }
                )
                + "\n"
            )
        _write_atomically(self.root / "active", digest + "\n")
        return digest

    def ensure_active(self, fallback: RulePack) -> str:
        """The active hash, publishing `fallback` first when nothing was ever published."""
        return self.active_hash() or self.publish(fallback)

    def active_hash(self) -> str | None:
        path = self.root / "active"
        return path.read_text().strip() if path.exists() else None

    def get(self, digest: str) -> RulePack:
        """A published pack by hash; its content is checked against the hash it is stored under."""
        data = json.loads((self.root / f"{digest}.json").read_text(encoding="utf-8"))
        pack = RulePack.model_validate(data)
        if pack.content_hash != digest:
            raise ValueError(f"stored pack {digest} does not match its hash: the store was altered")
        return pack

    def versions(self) -> list[PublishedVersion]:
        log = self.root / "published.jsonl"
        if not log.exists():
            return []
        active = self.active_hash()
        rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [PublishedVersion(active=row["hash"] == active, **row) for row in rows]


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def pack_store(settings: Settings) -> PackStore:
    return PackStore(settings.data_dir / "rule_packs")


def ensure_active_pack(settings: Settings) -> str:
    """The active pack's hash; publishes the configured pack when none is active."""
    store = pack_store(settings)
    active = store.active_hash()
    if active:
        return active
    path = settings.rule_pack
    if not path.is_absolute() and not path.exists():
        path = REPO_ROOT / path  # started from another directory
    return store.ensure_active(load_valid(path))
