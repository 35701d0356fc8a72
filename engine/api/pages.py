"""Cursor pages for every list route: `?limit=N&cursor=C`, and `next` in the answer (a link or null).

A cursor holds the position of the last row of the page (a keyset, never an offset), so rows added
while a caller pages neither repeat nor push others out of reach. It is opaque to callers:
base64url JSON of the position and a digest binding it to the tenant, the route and the filters it
was made for; a cursor that does not decode, or that belongs to another listing, is a 422 naming
`cursor`. It grants nothing: every page still filters on the caller's tenant.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from engine.api.auth import TENANT
from engine.api.errors import invalid_field

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR_CHARS = 1024
PAGE_PARAMS = ("limit", "cursor")
Item = TypeVar("Item")
Position = list[Any]


@dataclass(frozen=True, kw_only=True)
class PageRequest:
    limit: int
    after: Position | None
    """The position of the previous page's last row; None for the first page."""
    scope: str


def whole_number(raw: str, low: int, high: int) -> int | None:
    """A query value's integer when it is one from `low` to `high`, else None. Digits only, and no
    more of them than `high` has: `int()` of over 4,300 digits raises instead of answering."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def page_limit(query: Mapping[str, str]) -> int:
    """`limit` (1..MAX_LIMIT, default DEFAULT_LIMIT)."""
    limit = whole_number(query.get("limit", str(DEFAULT_LIMIT)), 1, MAX_LIMIT)
    if limit is None:
        raise invalid_field(
            "limit", f"integer 1..{MAX_LIMIT}", f"limit must be an integer from 1 to {MAX_LIMIT}"
        )
    return limit


def page_request(request: web.Request, *, position_length: int) -> PageRequest:
    """`limit` (1..MAX_LIMIT, default DEFAULT_LIMIT) and the decoded `cursor` of the request."""
    limit = page_limit(request.query)
    scope = _scope(request)
    cursor = request.query.get("cursor")
    after = None if cursor is None else _decoded(cursor, scope, position_length)
    return PageRequest(limit=limit, after=after, scope=scope)


def next_link(request: web.Request, page: PageRequest, position: Position) -> str:
    """The link to the page after the row at `position`, with the request's filters."""
    token = json.dumps({"s": page.scope, "p": position}, separators=(",", ":"))
    cursor = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
    kept = [(k, v) for k, v in request.query.items() if k not in PAGE_PARAMS]
    return f"{request.path}?{urlencode([*kept, ('limit', str(page.limit)), ('cursor', cursor)])}"


def paged(
    request: web.Request, items: Sequence[Item], position_of: Callable[[Item], Position], length: int
) -> tuple[list[Item], str | None]:
    """One page of a list its store returned whole (a tenant's keys, agents, pack versions: dozens,
    not millions), ascending by `position_of`: `length` strings (ids, ISO dates)."""
    page = page_request(request, position_length=length)
    after = page.after
    rest = [item for item in items if after is None or position_of(item) > after]
    shown = rest[: page.limit]
    if len(rest) <= page.limit:
        return shown, None
    return shown, next_link(request, page, position_of(shown[-1]))


def _scope(request: web.Request) -> str:
    filters = sorted((k, v) for k, v in request.query.items() if k not in PAGE_PARAMS)
    seed = json.dumps([request.get(TENANT), request.path, filters])
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def _decoded(cursor: str, scope: str, length: int) -> Position:
    bad = invalid_field("cursor", "not a cursor of this listing (take `next` as it is)")
    if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(data, dict) or data.get("s") != scope:
        raise bad
    position = data.get("p")
    if not isinstance(position, list) or len(position) != length:
        raise bad
    if not all(isinstance(v, str) and len(v) <= 256 for v in position):
        raise bad
    return position
