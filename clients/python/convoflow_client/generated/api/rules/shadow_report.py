from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.shadow_report import ShadowReport
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
    hash_: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["from"] = from_

    params["to"] = to

    params["hash"] = hash_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/rules/shadow/report",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | ShadowReport | None:
    if response.status_code == 200:
        response_200 = ShadowReport.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | ShadowReport]:
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
    hash_: str | Unset = UNSET,
) -> Response[Problem | ShadowReport]:
    """How the shadow pack's decisions differ from the live ones: per rule, per event type and in total,
    decisions compared, differing, the rate and up to 5 example conversations

     Roles: admin, auditor, ops.

    Args:
        from_ (str | Unset):
        to (str | Unset):
        hash_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ShadowReport]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
        hash_=hash_,
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
    hash_: str | Unset = UNSET,
) -> Problem | ShadowReport | None:
    """How the shadow pack's decisions differ from the live ones: per rule, per event type and in total,
    decisions compared, differing, the rate and up to 5 example conversations

     Roles: admin, auditor, ops.

    Args:
        from_ (str | Unset):
        to (str | Unset):
        hash_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ShadowReport
    """

    return sync_detailed(
        client=client,
        from_=from_,
        to=to,
        hash_=hash_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
    hash_: str | Unset = UNSET,
) -> Response[Problem | ShadowReport]:
    """How the shadow pack's decisions differ from the live ones: per rule, per event type and in total,
    decisions compared, differing, the rate and up to 5 example conversations

     Roles: admin, auditor, ops.

    Args:
        from_ (str | Unset):
        to (str | Unset):
        hash_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ShadowReport]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
        hash_=hash_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
    hash_: str | Unset = UNSET,
) -> Problem | ShadowReport | None:
    """How the shadow pack's decisions differ from the live ones: per rule, per event type and in total,
    decisions compared, differing, the rate and up to 5 example conversations

     Roles: admin, auditor, ops.

    Args:
        from_ (str | Unset):
        to (str | Unset):
        hash_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ShadowReport
    """

    return (
        await asyncio_detailed(
            client=client,
            from_=from_,
            to=to,
            hash_=hash_,
        )
    ).parsed
