"""Standard Webhooks signatures: HMAC-SHA256 over `{id}.{timestamp}.{body}`.

Headers: `webhook-id`, `webhook-timestamp` (Unix seconds), `webhook-signature` (`v1,<base64>`, several
separated by spaces during a key rotation). Verification compares in constant time and refuses
timestamps outside a window, so a captured request cannot be replayed later; the receiver also
remembers ids it has accepted, so it cannot be replayed within the window either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence


class SignatureError(ValueError):
    """Why a webhook does not verify; `header` names the header at fault (a stale timestamp is the
    `webhook-timestamp`'s, not the signature's)."""

    def __init__(self, message: str, header: str = "webhook-signature") -> None:
        super().__init__(message)
        self.header = header


TIMESTAMP = "webhook-timestamp"
HEADERS = ("webhook-id", TIMESTAMP, "webhook-signature")


def secret_bytes(secret: str) -> bytes:
    """`whsec_<base64>` as Standard Webhooks issues them, or any other string as its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str | Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Standard Webhooks headers; with several secrets (a rotation under way) one signature for each,
    space-separated, so a receiver holding either secret accepts the message."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(key, message_id, timestamp, body) for key in keys),
    }


def verify(secret: str, got: dict[str, str], body: bytes, now: int, tolerance_seconds: int = 300) -> str:
    """The webhook id when the signature and timestamp are good; SignatureError naming the problem."""
    message_id, _ = verify_any([secret], got, body, now, tolerance_seconds)
    return message_id


def verify_any(
    secrets: Sequence[str], got: dict[str, str], body: bytes, now: int, tolerance_seconds: int = 300
) -> tuple[str, list[int]]:
    """The webhook id and the indexes of the secrets that signed it (at least one), else SignatureError.

    Several secrets are valid at once while a sender rotates, and a tenant has one per channel: each
    is tried, every comparison in constant time, and the caller learns which ones matched.
    """
    lower = {k.lower(): v for k, v in got.items()}
    message_id, timestamp, signatures = (
        lower.get("webhook-id"),
        lower.get("webhook-timestamp"),
        lower.get("webhook-signature"),
    )
    if not message_id or not timestamp or not signatures:
        missing = next(h for h, v in zip(HEADERS, (message_id, timestamp, signatures), strict=True) if not v)
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header", missing)
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a Unix time in seconds", "webhook-timestamp") from None
    if abs(now - sent_at) > tolerance_seconds:
        raise SignatureError(
            f"webhook-timestamp outside the {tolerance_seconds}s window", "webhook-timestamp"
        )
    candidates = signatures.split()
    matched = []
    for index, secret in enumerate(secrets):
        expected = sign(secret, message_id, sent_at, body)  # once per secret, however many are sent
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            matched.append(index)
    if not matched:
        raise SignatureError("signature does not match")
    return message_id, matched
