"""Which rule pack new conversations pin: the published active one, else the configured default.

A fresh installation has published nothing; publishing the configured pack (`CONVOFLOW_RULE_PACK`,
`rule_packs/default`) on first start gives every conversation a pinned, hashed pack from day one.
"""

from __future__ import annotations

from pathlib import Path

from engine.config import Settings
from engine.rules.store import PackStore
from engine.rules.validation import load_valid

REPO_ROOT = Path(__file__).resolve().parent.parent


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
