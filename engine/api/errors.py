"""Every error leaves the API as an RFC 9457 problem: `application/problem+json`.

    {"type": "urn:convoflow:problem:invalid_request", "title": "Unprocessable Content", "status": 422,
     "detail": "conversation_id: ...", "error": "invalid_request", "message": "conversation_id: ...",
     "fields": [{"field": "conversation_id", "message": "..."}]}

`type` is one URN per error code (stable: clients may branch on it), `title` the status's phrase,
`detail` the explanation for this occurrence. `error`, `message` and `fields` are extension members
(RFC 9457 section 3.2): they were the whole body before problem details, and clients read them still.
Bad input names the field it is about; nothing the caller sends can produce a 500 or a stack trace.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError, RPCStatusCode

from engine.service.payload_codec import OTHER_TENANT, PayloadDecryptionError

log = logging.getLogger("convoflow.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# What a 503 asks the caller to wait before retrying. The retry itself waits up to the update
# timeout for a worker again, so a short pause is enough and keeps a recovered service responsive.
RETRY_AFTER_SECONDS = 5
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "urn:convoflow:problem:"
# Headers aiohttp's own errors carry that the caller needs (405 says which methods the path takes).
KEPT_HEADERS = ("Allow",)


def named(field: str, message: str = "not found") -> list[dict[str, str]]:
    """The `fields` of an error about one thing the caller sent or named (a body member, a header,
    a path's id): every error the caller can mend names what to mend."""
    return [{"field": field, "message": message}]


def problem(status: int, code: str, message: str, fields: list[dict] | None = None) -> dict:
    """The RFC 9457 body of an error, with the API's own members (`error`, `message`, `fields`)."""
    body: dict = {
        "type": PROBLEM_TYPE + code,
        "title": _phrase(status),
        "status": status,
        "detail": message,
        "error": code,
        "message": message,
        # Always there, so a client reads it without a check: empty when nothing the caller sent is
        # at fault (a 500, a database that did not answer).
        "fields": fields or [],
    }
    return body


def problem_response(body: dict, status: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(body), status=status, headers=headers, content_type=PROBLEM_JSON, charset="utf-8"
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}

    def body(self) -> dict:
        return problem(self.status, self.code, self.message, self.fields)

    def response(self) -> web.Response:
        return problem_response(self.body(), self.status, self.headers)


# Temporal not answering: an RPC error, or (a client that has to connect again) the SDK's RuntimeError
# "Failed client connect".
TEMPORAL_DOWN = (RPCError, RuntimeError)
TEMPORAL_BUSY = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.CANCELLED,
    }
)
"""RPC statuses a retry may get past: what the middleware answers 503 for."""


def unavailable(code: str, message: str) -> ApiError:
    """503 with `Retry-After`: nothing was wrong with the request, the same request may be sent again."""
    return ApiError(503, code, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def invalid_field(field: str, problem: str, summary: str | None = None) -> ApiError:
    """422 for one bad field: the shape every hand-made validation in the API answers with."""
    return ApiError(422, "invalid_request", summary or f"{field}: {problem}", named(field, problem))


def check_parameters(request: web.Request, known: Sequence[str]) -> None:
    """422 naming a query parameter the route does not know (a typo: `?chanel=sms`) or one given
    twice (`?from=a&from=b`): both were ignored or half read, and the answer looked like an answer
    to what was asked."""
    for name in request.query:
        if name not in known:
            raise invalid_field(name, f"unknown parameter; the parameters are {', '.join(known)}")
        if len(request.query.getall(name)) > 1:
            raise invalid_field(name, "given more than once: one value per parameter")


def validation_error(exc: ValidationError) -> ApiError:
    fields = []
    for err in exc.errors(include_url=False, include_input=False):
        loc, message = [str(p) for p in err["loc"]], err["msg"]
        if (deeper := err.get("ctx", {}).get("path")) is not None:  # a validator named a path in its value
            loc, message = [*loc, str(deeper)], str(err["ctx"]["problem"])
        fields.append({"field": ".".join(loc) or "body", "message": message})
    names = ", ".join(f["field"] for f in fields)
    return ApiError(422, "invalid_request", f"invalid field(s): {names}", fields)


def malformed_json(exc: json.JSONDecodeError) -> ApiError:
    return ApiError(
        400,
        "malformed_json",
        f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        [{"field": "body", "message": exc.msg, "line": exc.lineno, "column": exc.colno}],
    )


def number_too_long() -> ApiError:
    """A JSON integer past Python's 4,300 digits (`int` refuses it: a ValueError, not a JSONDecodeError)."""
    message = "a number has more digits than any field takes"
    return ApiError(
        400,
        "malformed_json",
        f"request body is not valid: {message}",
        named("body", message),
    )


def body_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        f"request body exceeds {limit} bytes",
        named("body", f"at most {limit} bytes"),
    )


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return as_problem(await handler(request))
    except ApiError as exc:
        return exc.response()
    except web.HTTPRequestEntityTooLarge:
        return body_too_large(request.client_max_size).response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        kept = {name: exc.headers[name] for name in KEPT_HEADERS if name in exc.headers}
        explained = _explained(exc, request)
        at_fault = {405: "method", 404: "path"}.get(exc.status)
        fields = named(at_fault, explained) if at_fault else None
        return ApiError(exc.status, code, explained, fields, headers=kept).response()
    except RPCError as exc:
        if exc.status not in TEMPORAL_BUSY:
            return _internal(request, exc)  # a refusal no retry changes (NOT_FOUND, INVALID_ARGUMENT)
        # A Temporal call no handler expected to fail (a list, a describe) timed out or found it
        # down: the request was fine, and the same request may be sent again.
        log.warning("temporal unavailable on %s %s (%s)", request.method, route_of(request), exc.status.name)
        return unavailable("temporal_unavailable", "Temporal did not answer; retry").response()
    except PayloadDecryptionError as exc:
        if str(exc) == OTHER_TENANT:
            return _internal(request, exc)  # another tenant's data in a conversation: no retry mends it
        # This process's CONVOFLOW_PAYLOAD_KEYS lacks (or holds another) key the data was sealed with:
        # the deployment's settings, not the request. The message names the key id, never content.
        log.error("payload keys on %s %s: %s", request.method, route_of(request), exc)
        return unavailable(
            "payload_key_unavailable",
            "this API cannot open the conversation's data: its CONVOFLOW_PAYLOAD_KEYS must hold every "
            "key the cluster seals with; see the server log",
        ).response()
    except ConnectionResetError as exc:
        if request.transport is not None and not request.transport.is_closing():
            return _database_down(request, exc)  # a reset of the database's connection, not the client's
        # The client went away mid-body: nobody to answer, and no database to blame in the log (nor
        # aiohttp's "Error handling request" traceback, were it raised on).
        log.debug("client left during %s %s", request.method, route_of(request))
        return web.json_response({"error": "client_closed", "message": "the client left"}, status=400)
    except (OSError, SQLAlchemyError) as exc:
        return _database_down(request, exc)
    except Exception as exc:
        return _internal(request, exc)


def _internal(request: web.Request, exc: Exception) -> web.StreamResponse:
    # Where it failed, never what with: the exception's text may quote the request (an address,
    # a subject, a message), and the path may hold a conversation id that is a phone number.
    log.error(
        "unhandled error on %s %s: %s\n%s",
        request.method,
        route_of(request),
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
    )
    return ApiError(500, "internal_error", "internal error; see server log").response()


def _database_down(request: web.Request, exc: BaseException) -> web.Response:
    # The control-plane database is unreachable (or restarting): the request was fine, and every
    # write it makes is idempotent, so the same request may be sent again.
    log.warning("database unavailable on %s %s (%s)", request.method, route_of(request), type(exc).__name__)
    return unavailable("database_unavailable", "the database did not answer; retry").response()


def route_of(request: web.Request) -> str:
    """The route's pattern (`/v1/conversations/{conversation_id}`), not the path with the caller's ids."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


def _explained(exc: web.HTTPException, request: web.Request) -> str:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return f"{request.method} is not allowed here; allowed: {', '.join(sorted(exc.allowed_methods))}"
    if isinstance(exc, web.HTTPNotFound):
        return "no such route"
    return exc.reason


def as_problem(response: web.StreamResponse) -> web.StreamResponse:
    """An error a handler answered itself as plain JSON (a pack worker's verdict), as a problem."""
    if (
        response.status < 400
        or not isinstance(response, web.Response)
        or response.content_type != "application/json"
        or not isinstance(response.body, bytes)
    ):
        return response
    try:
        body = json.loads(response.body)
    except ValueError:
        return response
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return response
    extra = {k: v for k, v in body.items() if k not in ("error", "message", "fields")}
    described = problem(response.status, body["error"], str(body.get("message", "")), body.get("fields"))
    dropped = ("content-type", "content-length")
    headers = {k: v for k, v in response.headers.items() if k.lower() not in dropped}
    return problem_response({**extra, **described}, response.status, headers)
