"""Sealing quarantined mail with the tenant's payload key: the database never holds it in clear.

The same keyring that encrypts conversation content in Temporal history (engine/service/payload_keys.py)
seals it: AES-256-GCM, the tenant and key id bound into the associated data, so a row moved to another
tenant does not open. Rotation works as for payloads: the newest key seals, every listed key opens.
With payload encryption explicitly off (`CONVOFLOW_PAYLOAD_ENCRYPTION=false`) rows are stored in clear
(key id null), as history is.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.service.payload_keys import Keyring

NONCE_BYTES = 12
CONTEXT = b"convoflow quarantine v1\x00"


class QuarantineSealer:
    def __init__(self, keyring: Keyring | None) -> None:
        self._keyring = keyring

    def seal(self, tenant: str, plain: bytes) -> tuple[str | None, bytes]:
        if self._keyring is None:
            return None, plain
        key_id, key = self._keyring.encrypting_key(tenant)
        nonce = os.urandom(NONCE_BYTES)
        return key_id, nonce + AESGCM(key).encrypt(nonce, plain, _associated(tenant, key_id))

    def open(self, tenant: str, key_id: str | None, sealed: bytes) -> bytes:
        if key_id is None:
            return sealed
        if self._keyring is None:
            raise ValueError("payload encryption is off: sealed quarantine rows cannot be read")
        key = self._keyring.decrypting_key(tenant, key_id)
        if key is None:
            raise ValueError(f"payload key {key_id!r} is not configured")
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _associated(tenant, key_id))


def _associated(tenant: str, key_id: str) -> bytes:
    return CONTEXT + tenant.encode() + b"\x00" + key_id.encode()
