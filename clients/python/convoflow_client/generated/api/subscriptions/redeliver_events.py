from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.redelivered import Redelivered
from ...types import UNSET, Response, Unset


def _get_kwargs(
    subscription_id: str,
    *,
    from_sequence: int,
    conversation_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    params: dict[str, Any] = {}

    params["from_sequence"] = from_sequence

    params["conversation_id"] = conversation_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/subscriptions/{subscription_id}/redeliver".format(
            subscription_id=quote(str(subscription_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Redelivered | None:
    if response.status_code == 202:
        response_202 = Redelivered.from_dict(response.json())

        return response_202

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
) -> Response[Problem | Redelivered]:
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
    from_sequence: int,
    conversation_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | Redelivered]:
    """Deliver again every event numbered from `from_sequence` (of one conversation with
    `conversation_id`), in order; 404 when the subscription keeps no events of that conversation, 422
    when `from_sequence` is past its last

     Roles: admin, integrator.

    Args:
        subscription_id (str):
        from_sequence (int):
        conversation_id (str | Unset):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Redelivered]
    """

    kwargs = _get_kwargs(
        subscription_id=subscription_id,
        from_sequence=from_sequence,
        conversation_id=conversation_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    from_sequence: int,
    conversation_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Problem | Redelivered | None:
    """Deliver again every event numbered from `from_sequence` (of one conversation with
    `conversation_id`), in order; 404 when the subscription keeps no events of that conversation, 422
    when `from_sequence` is past its last

     Roles: admin, integrator.

    Args:
        subscription_id (str):
        from_sequence (int):
        conversation_id (str | Unset):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Redelivered
    """

    return sync_detailed(
        subscription_id=subscription_id,
        client=client,
        from_sequence=from_sequence,
        conversation_id=conversation_id,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    from_sequence: int,
    conversation_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | Redelivered]:
    """Deliver again every event numbered from `from_sequence` (of one conversation with
    `conversation_id`), in order; 404 when the subscription keeps no events of that conversation, 422
    when `from_sequence` is past its last

     Roles: admin, integrator.

    Args:
        subscription_id (str):
        from_sequence (int):
        conversation_id (str | Unset):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Redelivered]
    """

    kwargs = _get_kwargs(
        subscription_id=subscription_id,
        from_sequence=from_sequence,
        conversation_id=conversation_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    subscription_id: str,
    *,
    client: AuthenticatedClient,
    from_sequence: int,
    conversation_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Problem | Redelivered | None:
    """Deliver again every event numbered from `from_sequence` (of one conversation with
    `conversation_id`), in order; 404 when the subscription keeps no events of that conversation, 422
    when `from_sequence` is past its last

     Roles: admin, integrator.

    Args:
        subscription_id (str):
        from_sequence (int):
        conversation_id (str | Unset):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Redelivered
    """

    return (
        await asyncio_detailed(
            subscription_id=subscription_id,
            client=client,
            from_sequence=from_sequence,
            conversation_id=conversation_id,
            idempotency_key=idempotency_key,
        )
    ).parsed
