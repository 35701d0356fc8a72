"""The KPI report as CSV: the generated `get_kpis` reads every 200 as JSON, and a CSV answer is not.

text = await kpis_csv(client, **{"from": "2026-11-01", "group_by": "team"})
"""

from __future__ import annotations

from http import HTTPStatus

from .generated.client import AuthenticatedClient
from .generated.models.problem import Problem
from .generated.types import Response
from .problems import ProblemError, UnexpectedAnswer


async def kpis_csv(client: AuthenticatedClient, **params: str) -> str:
    """`GET /v1/kpis?format=csv` with the given parameters (`from`, `to`, `group_by`, `interval`, and
    the filters `team`, `channel`, `agent`, `priority`): the CSV text, or the problem raised."""
    answer = await client.get_async_httpx_client().get("/v1/kpis", params={**params, "format": "csv"})
    if answer.status_code == HTTPStatus.OK:
        return answer.text
    try:
        status = HTTPStatus(answer.status_code)
    except ValueError:  # a status no standard names: a proxy's, never the service's
        status = HTTPStatus.BAD_GATEWAY
    response: Response[Problem] = Response(
        status_code=status, content=answer.content, headers=answer.headers, parsed=None
    )
    try:
        problem = Problem.from_dict(answer.json())
    except (ValueError, KeyError, TypeError):  # not the service's problem document (a proxy's page)
        raise UnexpectedAnswer(response) from None
    raise ProblemError(problem, response)
