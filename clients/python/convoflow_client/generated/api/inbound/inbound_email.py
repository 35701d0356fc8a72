from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_response import EventResponse
from ...models.problem import Problem
from ...models.quarantined import Quarantined
from ...models.repeated_mail import RepeatedMail
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    body: File,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/inbound/email",
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "message/rfc822"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EventResponse | EventResponse | RepeatedMail | Problem | Quarantined | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> EventResponse | RepeatedMail:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = EventResponse.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = RepeatedMail.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = EventResponse.from_dict(response.json())

        return response_201

    if response.status_code == 202:
        response_202 = Quarantined.from_dict(response.json())

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

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

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
) -> Response[EventResponse | EventResponse | RepeatedMail | Problem | Quarantined]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: File,
    idempotency_key: str | Unset = UNSET,
) -> Response[EventResponse | EventResponse | RepeatedMail | Problem | Quarantined]:
    """A raw RFC 822 email from the mail gateway (body: message/rfc822): 201 a new conversation, 200 joined
    one (or a duplicate, or a bounce recorded on the conversation it returns), 202 quarantined (no
    usable sender, a loop, a blocked sender, a spam verdict, unreadable): held for ops with its
    quarantine id, do not retry

     Roles: admin, integrator.

    Args:
        idempotency_key (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventResponse | EventResponse | RepeatedMail | Problem | Quarantined]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: File,
    idempotency_key: str | Unset = UNSET,
) -> EventResponse | EventResponse | RepeatedMail | Problem | Quarantined | None:
    """A raw RFC 822 email from the mail gateway (body: message/rfc822): 201 a new conversation, 200 joined
    one (or a duplicate, or a bounce recorded on the conversation it returns), 202 quarantined (no
    usable sender, a loop, a blocked sender, a spam verdict, unreadable): held for ops with its
    quarantine id, do not retry

     Roles: admin, integrator.

    Args:
        idempotency_key (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventResponse | EventResponse | RepeatedMail | Problem | Quarantined
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: File,
    idempotency_key: str | Unset = UNSET,
) -> Response[EventResponse | EventResponse | RepeatedMail | Problem | Quarantined]:
    """A raw RFC 822 email from the mail gateway (body: message/rfc822): 201 a new conversation, 200 joined
    one (or a duplicate, or a bounce recorded on the conversation it returns), 202 quarantined (no
    usable sender, a loop, a blocked sender, a spam verdict, unreadable): held for ops with its
    quarantine id, do not retry

     Roles: admin, integrator.

    Args:
        idempotency_key (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventResponse | EventResponse | RepeatedMail | Problem | Quarantined]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: File,
    idempotency_key: str | Unset = UNSET,
) -> EventResponse | EventResponse | RepeatedMail | Problem | Quarantined | None:
    """A raw RFC 822 email from the mail gateway (body: message/rfc822): 201 a new conversation, 200 joined
    one (or a duplicate, or a bounce recorded on the conversation it returns), 202 quarantined (no
    usable sender, a loop, a blocked sender, a spam verdict, unreadable): held for ops with its
    quarantine id, do not retry

     Roles: admin, integrator.

    Args:
        idempotency_key (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventResponse | EventResponse | RepeatedMail | Problem | Quarantined
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
