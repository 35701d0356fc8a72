from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.given_up_list import GivenUpList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    subscription_id: str,
    *,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    conversation_id: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    params["conversation_id"] = conversation_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/subscriptions/{subscription_id}/given-up".format(
            subscription_id=quote(str(subscription_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> GivenUpList | Problem | None:
    if response.status_code == 200:
        response_200 = GivenUpList.from_dict(response.json())

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
) -> Response[GivenUpList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    conversation_id: str | Unset = UNSET,
) -> Response[GivenUpList | Problem]:
    """The events whose delivery was given up after the retry hours, by conversation and sequence, each
    with its last attempt: where to redeliver from

     Roles: admin, integrator, ops.

    Args:
        subscription_id (str):
        limit (int | Unset):  Default: 100.
        cursor (str | Unset):
        conversation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[GivenUpList | Problem]
    """

    kwargs = _get_kwargs(
        subscription_id=subscription_id,
        limit=limit,
        cursor=cursor,
        conversation_id=conversation_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    conversation_id: str | Unset = UNSET,
) -> GivenUpList | Problem | None:
    """The events whose delivery was given up after the retry hours, by conversation and sequence, each
    with its last attempt: where to redeliver from

     Roles: admin, integrator, ops.

    Args:
        subscription_id (str):
        limit (int | Unset):  Default: 100.
        cursor (str | Unset):
        conversation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        GivenUpList | Problem
    """

    return sync_detailed(
        subscription_id=subscription_id,
        client=client,
        limit=limit,
        cursor=cursor,
        conversation_id=conversation_id,
    ).parsed


async def asyncio_detailed(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    conversation_id: str | Unset = UNSET,
) -> Response[GivenUpList | Problem]:
    """The events whose delivery was given up after the retry hours, by conversation and sequence, each
    with its last attempt: where to redeliver from

     Roles: admin, integrator, ops.

    Args:
        subscription_id (str):
        limit (int | Unset):  Default: 100.
        cursor (str | Unset):
        conversation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[GivenUpList | Problem]
    """

    kwargs = _get_kwargs(
        subscription_id=subscription_id,
        limit=limit,
        cursor=cursor,
        conversation_id=conversation_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    conversation_id: str | Unset = UNSET,
) -> GivenUpList | Problem | None:
    """The events whose delivery was given up after the retry hours, by conversation and sequence, each
    with its last attempt: where to redeliver from

     Roles: admin, integrator, ops.

    Args:
        subscription_id (str):
        limit (int | Unset):  Default: 100.
        cursor (str | Unset):
        conversation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        GivenUpList | Problem
    """

    return (
        await asyncio_detailed(
            subscription_id=subscription_id,
            client=client,
            limit=limit,
            cursor=cursor,
            conversation_id=conversation_id,
        )
    ).parsed
