"""Errors as exceptions: a problem answer (RFC 9457) raised as `ProblemError`, carrying the document.

The generated operations return `Answer | Problem` so that nothing is hidden; `expect()` turns that
into the answer or an exception, which is what most integration code wants:

    event = expect(await post_message.asyncio_detailed("c-1", client=client, body=message))
"""

from __future__ import annotations

from typing import Any, TypeVar

from .generated.models.problem import Problem
from .generated.models.problem_fields_item import ProblemFieldsItem
from .generated.types import Response, Unset

T = TypeVar("T")


class ProblemError(Exception):
    """The service refused the request; `problem` is its RFC 9457 document."""

    def __init__(self, problem: Problem, response: Response[Any]) -> None:
        self.problem = problem
        self.headers = response.headers
        names = ", ".join(self.field_names)
        super().__init__(
            f"{problem.status} {problem.error}: {problem.detail}" + (f" [{names}]" if names else "")
        )

    @property
    def type(self) -> str:
        """`urn:convoflow:problem:<error>`."""
        return self.problem.type_

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def detail(self) -> str:
        return self.problem.detail

    @property
    def error(self) -> str:
        """The error code: the end of `type` (`invalid_field`, `not_found`, ...)."""
        return self.problem.error

    @property
    def fields(self) -> list[ProblemFieldsItem]:
        """The fields at fault, each with its message (a body field, a parameter or a header)."""
        return [] if isinstance(self.problem.fields, Unset) else list(self.problem.fields)

    @property
    def field_names(self) -> list[str]:
        return [f.field for f in self.fields]

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before sending the same request again (429, 503, a 409 still running)."""
        value = self.headers.get("Retry-After")
        return int(value) if value is not None and value.isdigit() else None


class UnexpectedAnswer(Exception):
    """A documented status whose body did not parse (the generated client returned None)."""

    def __init__(self, response: Response[Any]) -> None:
        self.status_code = int(response.status_code)
        self.content = response.content
        super().__init__(f"{self.status_code}: {response.content[:200]!r}")


def expect(response: Response[T | Problem]) -> T:
    """The answer of a `*_detailed` operation, or its problem raised as `ProblemError`."""
    parsed = response.parsed
    if isinstance(parsed, Problem):
        raise ProblemError(parsed, response)
    if parsed is None:
        raise UnexpectedAnswer(response)
    return parsed
