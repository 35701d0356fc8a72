from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.change_subscription import ChangeSubscription
from ...models.problem import Problem
from ...models.subscription_view import SubscriptionView
from ...types import Response


def _get_kwargs(
    subscription_id: str,
    *,
    body: ChangeSubscription,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/subscriptions/{subscription_id}".format(
            subscription_id=quote(str(subscription_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SubscriptionView | None:
    if response.status_code == 200:
        response_200 = SubscriptionView.from_dict(response.json())

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
) -> Response[Problem | SubscriptionView]:
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
    body: ChangeSubscription,
) -> Response[Problem | SubscriptionView]:
    """Change a subscription's URL, events, description or allow_private, or pause and resume it; its id,
    secret and sequences stay (paused, its events queue and go out in order on resume)

     Roles: admin, integrator.

    Args:
        subscription_id (str):
        body (ChangeSubscription): What to change; one left out keeps its value. The id, the
            secret and the sequences stay.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SubscriptionView]
    """

    kwargs = _get_kwargs(
        subscription_id=subscription_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    body: ChangeSubscription,
) -> Problem | SubscriptionView | None:
    """Change a subscription's URL, events, description or allow_private, or pause and resume it; its id,
    secret and sequences stay (paused, its events queue and go out in order on resume)

     Roles: admin, integrator.

    Args:
        subscription_id (str):
        body (ChangeSubscription): What to change; one left out keeps its value. The id, the
            secret and the sequences stay.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SubscriptionView
    """

    return sync_detailed(
        subscription_id=subscription_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    body: ChangeSubscription,
) -> Response[Problem | SubscriptionView]:
    """Change a subscription's URL, events, description or allow_private, or pause and resume it; its id,
    secret and sequences stay (paused, its events queue and go out in order on resume)

     Roles: admin, integrator.

    Args:
        subscription_id (str):
        body (ChangeSubscription): What to change; one left out keeps its value. The id, the
            secret and the sequences stay.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SubscriptionView]
    """

    kwargs = _get_kwargs(
        subscription_id=subscription_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    body: ChangeSubscription,
) -> Problem | SubscriptionView | None:
    """Change a subscription's URL, events, description or allow_private, or pause and resume it; its id,
    secret and sequences stay (paused, its events queue and go out in order on resume)

     Roles: admin, integrator.

    Args:
        subscription_id (str):
        body (ChangeSubscription): What to change; one left out keeps its value. The id, the
            secret and the sequences stay.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SubscriptionView
    """

    return (
        await asyncio_detailed(
            subscription_id=subscription_id,
            client=client,
            body=body,
        )
    ).parsed
