"""Console sign-in: an API key exchanged for an HttpOnly session cookie, and CSRF on every change.

- `GET /console/sign-in` shows the form; it sets a short-lived pre-session cookie whose value the
  form also carries (double submit), so another site cannot sign a browser in with its own key.
- `POST /console/sign-in` checks the key as the API would; ops, auditor and admin keys open a
  session (an integrator key is a helpdesk backend's, not a person's: refused). The cookie is
  HttpOnly, SameSite=Strict, scoped to /console, and Secure over HTTPS.
- Every console request then carries the session: the middleware sets the request's tenant, role and
  key as the Bearer authentication does, so the role table (engine/api/roles.py) and the rate limits
  apply unchanged; a revoked key ends its sessions within the key cache's lifetime.
- Every request that changes something (any method but GET and HEAD) must carry the session's CSRF
  token in its form and, when the browser sends one, an Origin of this host.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.api.auth import (
    KEY_HASH,
    KEY_ID,
    ROLE,
    TENANT,
    DatabaseKeys,
    KeyStore,
    hash_key,
    identity_of_hash,
    is_console,
    is_open,
)
from engine.api.console.render import error_page, page, see_other
from engine.api.errors import ApiError, Handler, named
from engine.db.console_sessions import ConsoleSession, ConsoleSessionStore
from engine.service.config import Settings

SESSION_COOKIE = "convoflow_console"
SIGN_IN_COOKIE = "convoflow_console_sign_in"
SESSION = web.RequestKey("console_session", ConsoleSession)
CONSOLE_ROLES = frozenset({"ops", "auditor", "admin"})
SIGN_IN_MINUTES = 30
MAX_KEY_LENGTH = 512

routes = web.RouteTableDef()


class ConsoleSessions:
    """What the console needs to authenticate: the API's key sources and the session table."""

    def __init__(self, database: AsyncEngine, keys: KeyStore, stored: DatabaseKeys, settings: Settings):
        self.store = ConsoleSessionStore(database)
        self.keys = keys
        self.stored = stored
        self.lifetime = timedelta(hours=settings.console_session_hours)
        self.secure = settings.console_secure_cookie

    def secure_for(self, request: web.Request) -> bool:
        return self.secure or request.secure


SESSIONS = web.AppKey("console_sessions", ConsoleSessions)


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (no open redirect to another site)."""
    if (
        target
        and is_console(target)
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()  # a CR or LF ended the answer unsent (a header may not hold them)
    ):
        return target
    return "/console/"


def _sign_in_redirect(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/console/sign-in?next={quote(request.path_qs, safe='')}")


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


def _forbidden(message: str) -> ApiError:
    return ApiError(403, "csrf_failed", message, named("csrf", message))


def console_gate(sessions: ConsoleSessions):
    """The console's authentication, before the API's (which leaves /console paths to it)."""

    @web.middleware
    async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_console(request.path) or is_open(request.path):
            return await handler(request)
        token = request.cookies.get(SESSION_COOKIE)
        session = await sessions.store.get(token) if token else None
        identity = (
            await identity_of_hash(sessions.keys, sessions.stored, session.key_hash) if session else None
        )
        if session is None or identity is None or identity.tenant != session.tenant:
            if request.method in ("GET", "HEAD"):
                raise _sign_in_redirect(request)
            raise ApiError(401, "unauthorized", "not signed in to the console", [])
        if request.method not in ("GET", "HEAD"):
            form = await request.post()
            sent = form.get("csrf")
            if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf_token):
                raise _forbidden("the form's CSRF token is missing or wrong: reload the page")
            if not _same_origin(request):
                raise _forbidden("the request came from another site")
        request[SESSION] = session
        request[TENANT] = session.tenant
        request[ROLE] = identity.role  # a key whose role changed speaks with its new role
        request[KEY_ID] = session.key_id
        request[KEY_HASH] = session.key_hash
        try:
            return await handler(request)
        except ApiError as exc:
            if request.method not in ("GET", "HEAD") or exc.status >= 500:
                raise
            # A page a person opened: said in the console, with its navigation, not as the API's JSON
            # (a bad filter of a KPI drill-down, a conversation that is not there).
            return error_page(request, session, exc.status, exc.message, exc.headers)
        except web.HTTPNotFound:  # no such page (a mistyped link): the console's page, not JSON
            if request.method not in ("GET", "HEAD"):
                raise
            return error_page(request, session, 404, "the console has no such page", {})

    return gate


def _sign_in_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    nonce = secrets.token_urlsafe(24)
    response = page(
        request,
        "sign_in.html.j2",
        {"csrf": nonce, "next": _safe_next(request.query.get("next")), "error": error},
        status=status,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        max_age=SIGN_IN_MINUTES * 60,
        path="/console/sign-in",
        httponly=True,
        samesite="Strict",
        secure=request.app[SESSIONS].secure_for(request),
    )
    return response


@routes.get("/console/sign-in")
async def sign_in_form(request: web.Request) -> web.Response:
    return _sign_in_page(request)


@routes.post("/console/sign-in")
async def sign_in(request: web.Request) -> web.Response:
    sessions = request.app[SESSIONS]
    form = await request.post()
    sent, expected = form.get("csrf"), request.cookies.get(SIGN_IN_COOKIE)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise _forbidden("the sign-in form expired or came from another site: load it again")
    if not _same_origin(request):
        raise _forbidden("the request came from another site")
    key = form.get("key")
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        return _sign_in_page(request, error="Enter an API key.", status=422)
    digest = hash_key(key.strip())
    identity = await identity_of_hash(sessions.keys, sessions.stored, digest)
    if identity is None:
        return _sign_in_page(request, error="That API key is not known.", status=401)
    if identity.role not in CONSOLE_ROLES:
        return _sign_in_page(
            request,
            error=f"The console is for ops, auditor and admin keys; this key's role is {identity.role}.",
            status=403,
        )
    token, _ = await sessions.store.open(
        tenant=identity.tenant,
        role=identity.role,
        key_id=identity.key_id,
        key_hash=digest,
        lifetime=sessions.lifetime,
    )
    target = form.get("next")
    response = see_other(_safe_next(target if isinstance(target, str) else None))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(sessions.lifetime.total_seconds()),
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=sessions.secure_for(request),
    )
    response.del_cookie(SIGN_IN_COOKIE, path="/console/sign-in")
    return response


@routes.post("/console/sign-out")
async def sign_out(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await request.app[SESSIONS].store.close(token)
    response = see_other("/console/sign-in")
    response.del_cookie(SESSION_COOKIE, path="/console")
    return response
