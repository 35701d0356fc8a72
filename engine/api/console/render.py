"""The console's pages: one Jinja2 environment, one Content-Security-Policy, nothing cached.

Templates and static files ship inside the package (pyproject package-data). The policy lets a
page run only scripts served by the console itself (its own script and plotly.js, never inline
code): chart data travels as JSON in a `<script type="application/json">` element, which a
browser does not execute.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jinja2
from aiohttp import web

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("engine.api.console", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def minute_utc(when: datetime | str | None) -> str:
    """An instant to the minute, in UTC and saying so: `2026-12-07T23:01` read as the office's time."""
    if not when:
        return ""
    instant = datetime.fromisoformat(when) if isinstance(when, str) else when
    if instant.tzinfo is None:  # written without its zone: shown as written, not shifted
        return instant.strftime("%Y-%m-%d %H:%M")
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


_ENVIRONMENT.filters["minute_utc"] = minute_utc
# plotly.js writes its own <style> elements, hence 'unsafe-inline' for styles (never for scripts).
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def page(request: web.Request, template: str, values: dict[str, Any], *, status: int = 200) -> web.Response:
    """A rendered page; `values` reach the template beside `path` (for the navigation)."""
    text = _ENVIRONMENT.get_template(template).render(path=request.path, **values)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)


def error_page(
    request: web.Request, session: Any, status: int, message: str, headers: dict[str, str]
) -> web.Response:
    """What a page could not show, and why, inside the console of the signed-in `session` (with the
    error's headers: a 429's Retry-After)."""
    title = {404: "Not found", 403: "Not for this key's role"}.get(status, "That cannot be shown")
    values = {"session": session, "status": status, "title": title, "message": message}
    shown = page(request, "error.html.j2", values, status=status)
    shown.headers.update(headers)
    return shown


def see_other(location: str) -> web.Response:
    """303 to a console path: a response (not raised) so that cookies set on it reach the browser."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
