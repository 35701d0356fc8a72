"""The audit key: what seals exported bundles (engine/audit/chain.py) and what `audit verify` checks with.

`CONVOFLOW_AUDIT_KEY` names it. Under the embedded defaults with no key set, `convoflow up` generates a
development key at its first start and keeps it in the data directory (`audit-key`, mode 0600), as the
development API key and payload keyring are, so bundles exported today still verify tomorrow. Against a
cluster, no key is an error: a bundle sealed under a key nobody kept proves nothing. Verifying offline can
take the key from a file instead (`audit verify --key-file`), handed to an auditor apart from the bundle.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from engine.service.config import Settings

DEV_AUDIT_KEY_FILE = "audit-key"


class AuditKeyError(ValueError):
    """No audit key can be had; the message says how to set one (never shows a key)."""


def development_audit_key(data_dir: Path, *, create: bool = False) -> bytes:
    """The embedded defaults' key, created once in the data dir by `convoflow up` (`create`) and
    kept across restarts; anything else only reads it (an export run from another directory sealed
    its bundle under a key of its own, which `audit verify` then refused)."""
    path = data_dir / DEV_AUDIT_KEY_FILE
    if not path.exists() and not create:
        raise AuditKeyError(
            f"no development audit key at {path}: `convoflow up` makes it in its data directory; "
            "run this with the same CONVOFLOW_DATA_DIR (or set CONVOFLOW_AUDIT_KEY)"
        )
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("audit_" + secrets.token_urlsafe(32) + "\n")
    return key_from_text(path.read_text(), str(path))


def key_from_text(text: str, source: str) -> bytes:
    key = text.strip()
    if len(key) < 16:
        raise AuditKeyError(f"{source}: the audit key must be at least 16 characters")
    return key.encode()


def key_from_file(path: Path) -> bytes:
    try:
        return key_from_text(path.read_text(), str(path))
    except OSError as exc:
        raise AuditKeyError(f"{path}: cannot read the audit key ({exc.strerror})") from None


def audit_key_of(settings: Settings, *, create: bool = False) -> bytes:
    """The configured key; the development key under embedded defaults (made by `convoflow up`:
    `create`); AuditKeyError otherwise."""
    if settings.audit_key is not None:
        return key_from_text(settings.audit_key.get_secret_value(), "CONVOFLOW_AUDIT_KEY")
    if not settings.embedded:
        raise AuditKeyError(
            "no audit key: set CONVOFLOW_AUDIT_KEY (long random text, kept safe) to seal audit bundles"
        )
    return development_audit_key(settings.data_dir, create=create)
