"""The console's static files: its own stylesheet and script, and plotly.js from the `plotly` package.

Read once per process and served from memory. plotly.js comes from the installed Python package
(plotly/package_data/plotly.min.js), the copy its own offline mode uses, so nothing is fetched
from a CDN and the repository vendors no minified code.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

from aiohttp import web

routes = web.RouteTableDef()
_TYPES = {".js": "text/javascript", ".css": "text/css"}
_OWN = ("console.css", "console.js")
PLOTLY = "plotly.min.js"


@functools.cache
def _asset(name: str) -> tuple[bytes, str]:
    if name == PLOTLY:
        body = (resources.files("plotly") / "package_data" / PLOTLY).read_bytes()
    else:
        body = (resources.files("engine.api.console") / "static" / name).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


@routes.get("/console/static/{name}")
async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in (*_OWN, PLOTLY):
        raise web.HTTPNotFound()
    body, etag = _asset(name)
    if request.headers.get("If-None-Match") == f'"{etag}"':
        return web.Response(status=304, headers={"ETag": f'"{etag}"'})
    return web.Response(
        body=body,
        content_type=_TYPES[name[name.rindex(".") :]],
        charset="utf-8",
        headers={
            "ETag": f'"{etag}"',
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        },
    )
