"""The key pair that signs audit bundles: Ed25519, derived from the audit key; auditors hold the public half.

Format 1 bundles were sealed with HMAC under the audit key, so checking one needed that key, and
whoever held it (an auditor, one tenant's auditor) could rewrite any tenant's bundle, chain and seal
it again, and `audit verify` said "13 records verified". Format 2 signs instead. Every replica
derives the same Ed25519 key pair from CONVOFLOW_AUDIT_KEY (HKDF, so the setting stays one secret and
the key fingerprint the cluster records still names it), seals with the private half, and an auditor
checks with the public half (`convoflow audit public-key`), which can check and cannot sign.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGORITHM = "Ed25519"
_DERIVATION = b"convoflow audit signing key v2"


class PublicKeyError(ValueError):
    """Text that is not an Ed25519 public key; the message names where it came from."""


def signing_key(audit_key: bytes) -> Ed25519PrivateKey:
    """The private half, the same on every part that has the same audit key."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION).derive(audit_key)
    return Ed25519PrivateKey.from_private_bytes(seed)


def raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of the public key: what a manifest says signed it, and what verify compares."""
    return hashlib.sha256(raw(public)).hexdigest()[:16]


def public_text(public: Ed25519PublicKey) -> str:
    """PEM, as `openssl pkey -pubin` reads it: what `convoflow audit public-key` prints."""
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode()


def read_public(text: str, source: str) -> Ed25519PublicKey:
    """A public key in PEM, or the base64 of its 32 raw bytes (a manifest's `public_key`)."""
    stripped = text.strip()
    try:
        if stripped.startswith("-----BEGIN"):
            loaded = serialization.load_pem_public_key(stripped.encode())
        else:
            loaded = Ed25519PublicKey.from_public_bytes(base64.b64decode(stripped, validate=True))
    except (ValueError, binascii.Error, TypeError):
        raise PublicKeyError(f"{source}: not an Ed25519 public key (PEM, or base64 of 32 bytes)") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise PublicKeyError(f"{source}: a public key, but not an Ed25519 one")
    return loaded


def sign(private: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(private.sign(data)).decode()


def signed_by(public: Ed25519PublicKey, data: bytes, signature: object) -> bool:
    """Whether `signature` (base64, as `sign` writes it) is `public`'s over `data`."""
    if not isinstance(signature, str):
        return False
    try:
        public.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
