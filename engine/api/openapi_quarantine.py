"""The OpenAPI entries of the mail quarantine (engine/api/quarantine.py), in engine/api/openapi.py's
table shape; that module merges them into its own table."""

from __future__ import annotations

from pydantic import BaseModel

from engine.api.quarantine import QuarantineDeleted, QuarantineDetail, QuarantineList, QuarantineRelease

QUARANTINE_ROUTES: dict[tuple[str, str], tuple[str, type[BaseModel] | None, type[BaseModel] | None, int]] = {
    ("GET", "/v1/quarantine"): (
        "The tenant's quarantined mail, oldest first; `reason` and `released` filter; auditors see no "
        "sender or subject",
        None,
        QuarantineList,
        200,
    ),
    ("GET", "/v1/quarantine/{quarantine_id}"): (
        "One quarantined mail: why, from where, sender, subject, new text, quoted history, attachments",
        None,
        QuarantineDetail,
        200,
    ),
    ("GET", "/v1/quarantine/{quarantine_id}/raw"): (
        "The quarantined mail exactly as delivered (message/rfc822)",
        None,
        None,
        200,
    ),
    ("POST", "/v1/quarantine/{quarantine_id}/release"): (
        "Deliver the mail into a conversation as a customer message (201 began it, 200 joined one); "
        "idempotent: a released item answers its conversation with `duplicate: true`; 409 `no_sender` "
        "for a mail nobody could be answered at",
        None,
        QuarantineRelease,
        201,
    ),
    ("DELETE", "/v1/quarantine/{quarantine_id}"): ("Delete a quarantined mail", None, QuarantineDeleted, 200),
}
