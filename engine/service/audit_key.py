"""The audit key: what seals exported bundles (engine/audit/chain.py) and what `audit verify` checks with.

`CONVOFLOW_AUDIT_KEY` names it. Under the embedded defaults with no key set, `convoflow up` generates a
development key at its first start and keeps it in the data directory (`audit-key`, mode 0600), as the
development API key and payload keyring are, so bundles exported today still verify tomorrow. Against a
cluster, no key is an error: a bundle sealed under a key nobody kept proves nothing. Verifying offline can
take the key from a file instead (`audit verify --key-file`), handed to an auditor apart from the bundle.

Every part that seals must hold the same key: the first to start records its fingerprint in the
database (engine/db/audit_key_record.py) and `check_audit_key` refuses another.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from engine.audit.chain import key_fingerprint
from engine.db.audit_key_record import differing_audit_key
from engine.private_files import private_dir
from engine.service.config import Settings
from engine.service.database import database_of

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
        private_dir(data_dir)
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


async def check_audit_key(settings: Settings, *, part: bool = True) -> None:
    """Refuse (AuditKeyError) a key other than the one the cluster seals bundles with: a bundle it
    sealed would fail `audit verify` with the cluster's key. A part of the cluster (`part`: the API,
    `convoflow up`) records the key when it is the first; a command sealing from a shell (`audit
    export`) records none. Without a key there is nothing to check: exports say so themselves."""
    try:
        key = audit_key_of(settings)
    except AuditKeyError:
        return
    database = database_of(settings)
    try:
        recorded = await differing_audit_key(database, key_fingerprint(key), record=part)
    finally:
        await database.dispose()
    if recorded is None:
        return
    source = "CONVOFLOW_AUDIT_KEY" if settings.audit_key is not None else "the development audit key"
    sealer = "this part" if part else "this command"
    raise AuditKeyError(
        f"{source} is not the key this cluster seals audit bundles with (key fingerprint "
        f"{key_fingerprint(key)}, the cluster's {recorded}): bundles {sealer} sealed would fail "
        "`audit verify`. Every API needs the same key; to change it on purpose, see README (Audit keys)"
    )
