"""Every error leaves the API as JSON: `{"error": code, "message": ..., "fields": [...]}`.

Bad input names the field it is about; nothing the caller sends can produce a 500 or a stack trace.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("convoflow.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# What a 503 asks the caller to wait before retrying. The retry itself waits up to the update
# timeout for a worker again, so a short pause is enough and keeps a recovered service responsive.
RETRY_AFTER_SECONDS = 5


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

    def response(self) -> web.Response:
        body: dict = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return web.json_response(body, status=self.status, headers=self.headers)


def unavailable(code: str, message: str) -> ApiError:
    """503 with `Retry-After`: nothing was wrong with the request, the same request may be sent again."""
    return ApiError(503, code, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def invalid_field(field: str, problem: str, summary: str | None = None) -> ApiError:
    """422 for one bad field: the shape every hand-made validation in the API answers with."""
    return ApiError(
        422, "invalid_request", summary or f"{field}: {problem}", [{"field": field, "message": problem}]
    )


def validation_error(exc: ValidationError) -> ApiError:
    fields = [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "body",
            "message": err["msg"],
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]
    names = ", ".join(f["field"] for f in fields)
    return ApiError(422, "invalid_request", f"invalid field(s): {names}", fields)


def malformed_json(exc: json.JSONDecodeError) -> ApiError:
    return ApiError(
        400,
        "malformed_json",
        f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        [{"field": "body", "message": exc.msg, "line": exc.lineno, "column": exc.colno}],
    )


def body_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        f"request body exceeds {limit} bytes",
        [{"field": "body", "message": f"at most {limit} bytes"}],
    )


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPRequestEntityTooLarge:
        return body_too_large(request.client_max_size).response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return ApiError(exc.status, code, exc.reason).response()
    except (OSError, SQLAlchemyError) as exc:
        # The control-plane database is unreachable (or restarting): the request was fine, and
        # every write it makes is idempotent, so the same request may be sent again.
        log.warning(
            "database unavailable on %s %s (%s)", request.method, route_of(request), type(exc).__name__
        )
        return unavailable("database_unavailable", "the database did not answer; retry").response()
    except Exception as exc:
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


def route_of(request: web.Request) -> str:
    """The route's pattern (`/v1/conversations/{conversation_id}`), not the path with the caller's ids."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"
