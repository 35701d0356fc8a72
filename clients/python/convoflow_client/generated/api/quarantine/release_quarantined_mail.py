from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.quarantine_release import QuarantineRelease
from ...types import UNSET, Response, Unset


def _get_kwargs(
    quarantine_id: str,
    *,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/quarantine/{quarantine_id}/release".format(
            quarantine_id=quote(str(quarantine_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | QuarantineRelease | None:
    if response.status_code == 200:
        response_200 = QuarantineRelease.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = QuarantineRelease.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

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
) -> Response[Problem | QuarantineRelease]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    quarantine_id: str,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | QuarantineRelease]:
    """Deliver the mail into a conversation as a customer message (201 began it, 200 joined one);
    idempotent: a released item answers its conversation with `duplicate: true`; 409 `no_sender` for a
    mail nobody could be answered at

     Roles: admin, ops.

    Args:
        quarantine_id (str):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | QuarantineRelease]
    """

    kwargs = _get_kwargs(
        quarantine_id=quarantine_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    quarantine_id: str,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> Problem | QuarantineRelease | None:
    """Deliver the mail into a conversation as a customer message (201 began it, 200 joined one);
    idempotent: a released item answers its conversation with `duplicate: true`; 409 `no_sender` for a
    mail nobody could be answered at

     Roles: admin, ops.

    Args:
        quarantine_id (str):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | QuarantineRelease
    """

    return sync_detailed(
        quarantine_id=quarantine_id,
        client=client,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    quarantine_id: str,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | QuarantineRelease]:
    """Deliver the mail into a conversation as a customer message (201 began it, 200 joined one);
    idempotent: a released item answers its conversation with `duplicate: true`; 409 `no_sender` for a
    mail nobody could be answered at

     Roles: admin, ops.

    Args:
        quarantine_id (str):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | QuarantineRelease]
    """

    kwargs = _get_kwargs(
        quarantine_id=quarantine_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    quarantine_id: str,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> Problem | QuarantineRelease | None:
    """Deliver the mail into a conversation as a customer message (201 began it, 200 joined one);
    idempotent: a released item answers its conversation with `duplicate: true`; 409 `no_sender` for a
    mail nobody could be answered at

     Roles: admin, ops.

    Args:
        quarantine_id (str):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | QuarantineRelease
    """

    return (
        await asyncio_detailed(
            quarantine_id=quarantine_id,
            client=client,
            idempotency_key=idempotency_key,
        )
    ).parsed
