from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_response import EventResponse
from ...models.inbound_webhook import InboundWebhook
from ...models.problem import Problem
from ...models.repeated_webhook import RepeatedWebhook
from ...types import Response


def _get_kwargs(
    tenant: str,
    *,
    body: InboundWebhook,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/inbound/webhook/{tenant}".format(
            tenant=quote(str(tenant), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EventResponse | EventResponse | RepeatedWebhook | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> EventResponse | RepeatedWebhook:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = EventResponse.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = RepeatedWebhook.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = EventResponse.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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
) -> Response[EventResponse | EventResponse | RepeatedWebhook | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient | Client,
    body: InboundWebhook,
) -> Response[EventResponse | EventResponse | RepeatedWebhook | Problem]:
    """A signed inbound webhook from a chat/WhatsApp/SMS gateway: a customer message as `POST .../messages`
    takes it, with `type` and `conversation_id`; fields of the gateway's own are ignored

    Args:
        tenant (str):
        body (InboundWebhook): What a gateway posts for a customer message: `POST .../messages`'s
            body, with the event's type
            and the conversation. Its `received_at`, `subject`, `attachments` and the rest were
            dropped
            without a word (a photo alone was a conversation of no text, its clocks counted from
            arrival).
            Fields of the gateway's own are ignored: a gateway does not retry a 4xx, so refusing one
            lost
            the customer's message.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventResponse | EventResponse | RepeatedWebhook | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    *,
    client: AuthenticatedClient | Client,
    body: InboundWebhook,
) -> EventResponse | EventResponse | RepeatedWebhook | Problem | None:
    """A signed inbound webhook from a chat/WhatsApp/SMS gateway: a customer message as `POST .../messages`
    takes it, with `type` and `conversation_id`; fields of the gateway's own are ignored

    Args:
        tenant (str):
        body (InboundWebhook): What a gateway posts for a customer message: `POST .../messages`'s
            body, with the event's type
            and the conversation. Its `received_at`, `subject`, `attachments` and the rest were
            dropped
            without a word (a photo alone was a conversation of no text, its clocks counted from
            arrival).
            Fields of the gateway's own are ignored: a gateway does not retry a 4xx, so refusing one
            lost
            the customer's message.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventResponse | EventResponse | RepeatedWebhook | Problem
    """

    return sync_detailed(
        tenant=tenant,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient | Client,
    body: InboundWebhook,
) -> Response[EventResponse | EventResponse | RepeatedWebhook | Problem]:
    """A signed inbound webhook from a chat/WhatsApp/SMS gateway: a customer message as `POST .../messages`
    takes it, with `type` and `conversation_id`; fields of the gateway's own are ignored

    Args:
        tenant (str):
        body (InboundWebhook): What a gateway posts for a customer message: `POST .../messages`'s
            body, with the event's type
            and the conversation. Its `received_at`, `subject`, `attachments` and the rest were
            dropped
            without a word (a photo alone was a conversation of no text, its clocks counted from
            arrival).
            Fields of the gateway's own are ignored: a gateway does not retry a 4xx, so refusing one
            lost
            the customer's message.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventResponse | EventResponse | RepeatedWebhook | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    *,
    client: AuthenticatedClient | Client,
    body: InboundWebhook,
) -> EventResponse | EventResponse | RepeatedWebhook | Problem | None:
    """A signed inbound webhook from a chat/WhatsApp/SMS gateway: a customer message as `POST .../messages`
    takes it, with `type` and `conversation_id`; fields of the gateway's own are ignored

    Args:
        tenant (str):
        body (InboundWebhook): What a gateway posts for a customer message: `POST .../messages`'s
            body, with the event's type
            and the conversation. Its `received_at`, `subject`, `attachments` and the rest were
            dropped
            without a word (a photo alone was a conversation of no text, its clocks counted from
            arrival).
            Fields of the gateway's own are ignored: a gateway does not retry a 4xx, so refusing one
            lost
            the customer's message.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventResponse | EventResponse | RepeatedWebhook | Problem
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            client=client,
            body=body,
        )
    ).parsed
