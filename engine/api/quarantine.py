"""The mail quarantine over HTTP: ops list, read, release into a conversation, or delete (issue 20).

Roles (engine/api/roles.py): ops and admin do everything; an auditor may list (to check that nothing
was dropped: reasons, sources, dates, releases), but the list shows an auditor no sender or subject
and an auditor cannot open an item, because quarantined mail is personal data an audit does not need.
Integrators have no access: their gateway learns the quarantine id from the 202 of its POST.

A release is idempotent: the first one delivers the mail as a customer message (the conversation is
created or joined exactly as an accepted mail's would be) and records where; a repeat answers the
same conversation with `duplicate: true`. The conversation's own dedup of the Message-ID covers a
release racing another.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import KEY_ID, ROLE, TENANT
from engine.api.email_intake import MAIL_INTAKE
from engine.api.errors import ApiError, check_parameters, invalid_field, named
from engine.api.pages import PAGE_PARAMS, next_link, page_request
from engine.db.mail_quarantine import QuarantinedMail
from engine.mail.verdicts import QuarantineReason

routes = web.RouteTableDef()
QUARANTINE_ID = re.compile(r"^q_[0-9a-f]{24}$")
CONTENT_ROLES = frozenset({"ops", "admin"})


class QuarantineAttachment(BaseModel):
    name: str
    content_type: str
    size: int


class QuarantineItem(BaseModel):
    """A quarantined mail in a list: why, from where, when, and (ops, admin) from whom and about what."""

    id: str = Field(description="q_ and 24 hex digits.")
    message_id: str = Field(description="The mail's Message-ID, or the one derived from its content.")
    reason: QuarantineReason
    detail: str = Field(description="Why, in the service's words (never the mail's).")
    source: str = Field(description="`api` (POST /v1/inbound/email) or `imap:<mailbox>`.")
    size: int = Field(description="Bytes of the raw mail.")
    received_at: str
    expires_at: str = Field(description="Deleted after (CONVOFLOW_QUARANTINE_DAYS).")
    released_at: str | None = None
    released_by: str | None = None
    conversation_id: str | None = Field(default=None, description="Where a release delivered it.")
    sender: str | None = Field(default=None, description="The From address (ops and admin keys only).")
    subject: str | None = Field(default=None, description="The subject (ops and admin keys only).")


class QuarantineList(BaseModel):
    items: list[QuarantineItem]
    next: str | None = Field(description="The next page's link, or null.")


class QuarantineDetail(QuarantineItem):
    """One quarantined mail with what it says."""

    sender_name: str | None = None
    text: str | None = Field(default=None, description="The new text (quoted history apart).")
    quoted: str | None = None
    attachments: list[QuarantineAttachment] = Field(default_factory=list)
    message_id_derived: bool | None = Field(default=None, description="The mail had no usable Message-ID.")
    unreadable: str | None = Field(default=None, description="Set when its payload key is not configured.")


class QuarantineRelease(BaseModel):
    id: str
    conversation_id: str
    duplicate: bool = Field(description="It had been released before: the conversation it went to.")
    created: bool | None = Field(default=None, description="The release began the conversation.")
    seq: int | None = None


class Quarantined(BaseModel):
    """POST /v1/inbound/email's 202: the mail could not become a conversation and is held for ops."""

    quarantined: bool = True
    quarantine_id: str
    reason: QuarantineReason
    detail: str
    message_id: str
    fields: list[dict[str, str]] | None = Field(
        default=None, description="For an unreadable mail: the header (or `body`) at fault."
    )


class QuarantineDeleted(BaseModel):
    id: str
    deleted: bool


def view(item: QuarantinedMail, *, content: bool, full: bool = False) -> dict[str, Any]:
    """An item as the API shows it: `content` adds sender and subject, `full` the text and attachments."""
    out: dict[str, Any] = {
        "id": item.quarantine_id,
        "message_id": item.message_id,
        "reason": item.reason,
        "detail": item.detail,
        "source": item.source,
        "size": item.size,
        "received_at": _iso(item.received_at),
        "expires_at": _iso(item.expires_at),
        "released_at": _iso(item.released_at),
        "released_by": item.released_by,
        "conversation_id": item.conversation_id,
    }
    if content:
        out["sender"] = item.summary.get("sender")
        out["subject"] = item.summary.get("subject")
    if full:
        for key in ("sender_name", "text", "quoted", "attachments", "message_id_derived", "unreadable"):
            if key in item.summary:
                out[key] = item.summary[key]
    return out


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


UNREADABLE = "sealed under a payload key that is not configured"
NO_SENDER = "the mail has no usable sender address: there is no one a conversation could answer; delete it"


@routes.get("/v1/quarantine")
async def list_quarantine(request: web.Request) -> web.Response:
    """The tenant's quarantined mail, oldest first; `reason` and `released` (true/false) filter."""
    check_parameters(request, ("reason", "released", *PAGE_PARAMS))
    reason = request.query.get("reason")
    if reason is not None and reason not in {r.value for r in QuarantineReason}:
        raise invalid_field("reason", f"one of {', '.join(r.value for r in QuarantineReason)}")
    released_text = request.query.get("released")
    if released_text not in (None, "true", "false"):
        raise invalid_field("released", "true or false")
    released = None if released_text is None else released_text == "true"
    page = page_request(request, position_length=2)
    after = None
    if page.after is not None:
        if not all(isinstance(p, str) for p in page.after):
            raise invalid_field("cursor", "not a cursor of this listing")
        try:
            datetime.fromisoformat(page.after[0])
        except ValueError:
            raise invalid_field("cursor", "not a cursor of this listing") from None
        after = (page.after[0], page.after[1])
    store = request.app[MAIL_INTAKE].quarantine
    items = await store.page(
        request[TENANT], limit=page.limit + 1, after=after, reason=reason, released=released
    )
    shown = items[: page.limit]
    content = request[ROLE] in CONTENT_ROLES
    link = None
    if len(items) > page.limit:
        last = shown[-1]
        link = next_link(request, page, [last.received_at.isoformat(), last.quarantine_id])
    return web.json_response({"items": [view(i, content=content) for i in shown], "next": link})


async def _item(request: web.Request, *, with_raw: bool = False) -> QuarantinedMail:
    quarantine_id = request.match_info["quarantine_id"]
    if not QUARANTINE_ID.match(quarantine_id):
        raise invalid_field("quarantine_id", "q_ and 24 hex digits")
    found = await request.app[MAIL_INTAKE].quarantine.get(request[TENANT], quarantine_id, with_raw=with_raw)
    if found is None:
        raise ApiError(
            404,
            "quarantine_item_not_found",
            "no such quarantined mail",
            named("quarantine_id", "no such quarantined mail in this tenant"),
        )
    return found


@routes.get("/v1/quarantine/{quarantine_id}")
async def get_quarantined(request: web.Request) -> web.Response:
    """One quarantined mail: why, from where, and what it says (sender, subject, text, attachments)."""
    return web.json_response(view(await _item(request), content=True, full=True))


@routes.get("/v1/quarantine/{quarantine_id}/raw")
async def get_quarantined_raw(request: web.Request) -> web.Response:
    """The mail exactly as delivered (message/rfc822), to look at its headers."""
    item = await _item(request, with_raw=True)
    if item.raw is None:
        raise ApiError(409, "unreadable", UNREADABLE, named("quarantine_id", UNREADABLE))
    return web.Response(body=item.raw, content_type="message/rfc822")


@routes.post("/v1/quarantine/{quarantine_id}/release")
async def release_quarantined(request: web.Request) -> web.Response:
    """Deliver the mail into a conversation (ops judged it a customer's); idempotent."""
    item = await _item(request, with_raw=True)
    if item.conversation_id is not None:
        return web.json_response(
            {"id": item.quarantine_id, "conversation_id": item.conversation_id, "duplicate": True}
        )
    if item.raw is None:
        raise ApiError(409, "unreadable", UNREADABLE, named("quarantine_id", UNREADABLE))
    if not item.summary.get("sender"):
        raise ApiError(409, "no_sender", NO_SENDER, named("quarantine_id", NO_SENDER))
    tenant = request[TENANT]
    intake = request.app[MAIL_INTAKE]
    try:
        taken = await intake.release(tenant, item.raw, reason=item.reason)
    except ValueError:  # parsed again, the mail has no sender a reply could go to (a pydantic error too)
        raise ApiError(409, "no_sender", NO_SENDER, named("quarantine_id", NO_SENDER)) from None
    assert taken.conversation_id is not None and taken.receipt is not None
    await intake.quarantine.mark_released(
        tenant,
        item.quarantine_id,
        conversation_id=taken.conversation_id,
        by=f"api:{tenant}/{request[KEY_ID]}",
    )
    return web.json_response(
        {
            "id": item.quarantine_id,
            "conversation_id": taken.conversation_id,
            "duplicate": False,
            "created": taken.receipt.created,
            "seq": taken.receipt.seq,
        },
        status=201 if taken.receipt.created else 200,
    )


@routes.delete("/v1/quarantine/{quarantine_id}")
async def delete_quarantined(request: web.Request) -> web.Response:
    item = await _item(request)
    await request.app[MAIL_INTAKE].quarantine.delete(request[TENANT], item.quarantine_id)
    return web.json_response({"id": item.quarantine_id, "deleted": True})
