from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.get_kpis_format import GetKpisFormat
from ...models.get_kpis_interval import GetKpisInterval
from ...models.kpi_report import KpiReport
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
    group_by: str | Unset = UNSET,
    interval: GetKpisInterval | Unset = UNSET,
    tz: str | Unset = UNSET,
    format_: GetKpisFormat | Unset = UNSET,
    team: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    agent: str | Unset = UNSET,
    priority: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["from"] = from_

    params["to"] = to

    params["group_by"] = group_by

    json_interval: str | Unset = UNSET
    if not isinstance(interval, Unset):
        json_interval = interval.value

    params["interval"] = json_interval

    params["tz"] = tz

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params["team"] = team

    params["channel"] = channel

    params["agent"] = agent

    params["priority"] = priority

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/kpis",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> KpiReport | Problem | None:
    if response.status_code == 200:
        response_200 = KpiReport.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[KpiReport | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
    group_by: str | Unset = UNSET,
    interval: GetKpisInterval | Unset = UNSET,
    tz: str | Unset = UNSET,
    format_: GetKpisFormat | Unset = UNSET,
    team: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    agent: str | Unset = UNSET,
    priority: str | Unset = UNSET,
) -> Response[KpiReport | Problem]:
    """The tenant's KPIs (docs/kpis.md) by group and period, each value with the conversations behind it;
    CSV with `format=csv` or `Accept: text/csv`

     Roles: admin, auditor, ops.

    Args:
        from_ (str | Unset):
        to (str | Unset):
        group_by (str | Unset):
        interval (GetKpisInterval | Unset):
        tz (str | Unset):
        format_ (GetKpisFormat | Unset):
        team (str | Unset):
        channel (str | Unset):
        agent (str | Unset):
        priority (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[KpiReport | Problem]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
        group_by=group_by,
        interval=interval,
        tz=tz,
        format_=format_,
        team=team,
        channel=channel,
        agent=agent,
        priority=priority,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
    group_by: str | Unset = UNSET,
    interval: GetKpisInterval | Unset = UNSET,
    tz: str | Unset = UNSET,
    format_: GetKpisFormat | Unset = UNSET,
    team: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    agent: str | Unset = UNSET,
    priority: str | Unset = UNSET,
) -> KpiReport | Problem | None:
    """The tenant's KPIs (docs/kpis.md) by group and period, each value with the conversations behind it;
    CSV with `format=csv` or `Accept: text/csv`

     Roles: admin, auditor, ops.

    Args:
        from_ (str | Unset):
        to (str | Unset):
        group_by (str | Unset):
        interval (GetKpisInterval | Unset):
        tz (str | Unset):
        format_ (GetKpisFormat | Unset):
        team (str | Unset):
        channel (str | Unset):
        agent (str | Unset):
        priority (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        KpiReport | Problem
    """

    return sync_detailed(
        client=client,
        from_=from_,
        to=to,
        group_by=group_by,
        interval=interval,
        tz=tz,
        format_=format_,
        team=team,
        channel=channel,
        agent=agent,
        priority=priority,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
    group_by: str | Unset = UNSET,
    interval: GetKpisInterval | Unset = UNSET,
    tz: str | Unset = UNSET,
    format_: GetKpisFormat | Unset = UNSET,
    team: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    agent: str | Unset = UNSET,
    priority: str | Unset = UNSET,
) -> Response[KpiReport | Problem]:
    """The tenant's KPIs (docs/kpis.md) by group and period, each value with the conversations behind it;
    CSV with `format=csv` or `Accept: text/csv`

     Roles: admin, auditor, ops.

    Args:
        from_ (str | Unset):
        to (str | Unset):
        group_by (str | Unset):
        interval (GetKpisInterval | Unset):
        tz (str | Unset):
        format_ (GetKpisFormat | Unset):
        team (str | Unset):
        channel (str | Unset):
        agent (str | Unset):
        priority (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[KpiReport | Problem]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
        group_by=group_by,
        interval=interval,
        tz=tz,
        format_=format_,
        team=team,
        channel=channel,
        agent=agent,
        priority=priority,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
    group_by: str | Unset = UNSET,
    interval: GetKpisInterval | Unset = UNSET,
    tz: str | Unset = UNSET,
    format_: GetKpisFormat | Unset = UNSET,
    team: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    agent: str | Unset = UNSET,
    priority: str | Unset = UNSET,
) -> KpiReport | Problem | None:
    """The tenant's KPIs (docs/kpis.md) by group and period, each value with the conversations behind it;
    CSV with `format=csv` or `Accept: text/csv`

     Roles: admin, auditor, ops.

    Args:
        from_ (str | Unset):
        to (str | Unset):
        group_by (str | Unset):
        interval (GetKpisInterval | Unset):
        tz (str | Unset):
        format_ (GetKpisFormat | Unset):
        team (str | Unset):
        channel (str | Unset):
        agent (str | Unset):
        priority (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        KpiReport | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            from_=from_,
            to=to,
            group_by=group_by,
            interval=interval,
            tz=tz,
            format_=format_,
            team=team,
            channel=channel,
            agent=agent,
            priority=priority,
        )
    ).parsed
