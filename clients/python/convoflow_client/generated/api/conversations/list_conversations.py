from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.conversation_list import ConversationList
from ...models.list_conversations_assigned import ListConversationsAssigned
from ...models.list_conversations_channel import ListConversationsChannel
from ...models.list_conversations_priority import ListConversationsPriority
from ...models.list_conversations_sla_breached import ListConversationsSlaBreached
from ...models.list_conversations_status import ListConversationsStatus
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    status: ListConversationsStatus | Unset = UNSET,
    channel: ListConversationsChannel | Unset = UNSET,
    priority: ListConversationsPriority | Unset = UNSET,
    sla_breached: ListConversationsSlaBreached | Unset = UNSET,
    team: str | Unset = UNSET,
    assignee: str | Unset = UNSET,
    assigned: ListConversationsAssigned | Unset = UNSET,
    tag: str | Unset = UNSET,
    language: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    json_channel: str | Unset = UNSET
    if not isinstance(channel, Unset):
        json_channel = channel.value

    params["channel"] = json_channel

    json_priority: str | Unset = UNSET
    if not isinstance(priority, Unset):
        json_priority = priority.value

    params["priority"] = json_priority

    json_sla_breached: str | Unset = UNSET
    if not isinstance(sla_breached, Unset):
        json_sla_breached = sla_breached.value

    params["sla_breached"] = json_sla_breached

    params["team"] = team

    params["assignee"] = assignee

    json_assigned: str | Unset = UNSET
    if not isinstance(assigned, Unset):
        json_assigned = assigned.value

    params["assigned"] = json_assigned

    params["tag"] = tag

    params["language"] = language

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/conversations",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConversationList | Problem | None:
    if response.status_code == 200:
        response_200 = ConversationList.from_dict(response.json())

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
) -> Response[ConversationList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    status: ListConversationsStatus | Unset = UNSET,
    channel: ListConversationsChannel | Unset = UNSET,
    priority: ListConversationsPriority | Unset = UNSET,
    sla_breached: ListConversationsSlaBreached | Unset = UNSET,
    team: str | Unset = UNSET,
    assignee: str | Unset = UNSET,
    assigned: ListConversationsAssigned | Unset = UNSET,
    tag: str | Unset = UNSET,
    language: str | Unset = UNSET,
) -> Response[ConversationList | Problem]:
    """The tenant's conversations, one row each

     Roles: admin, auditor, integrator, ops.

    Args:
        limit (int | Unset):  Default: 100.
        cursor (str | Unset):
        status (ListConversationsStatus | Unset):
        channel (ListConversationsChannel | Unset):
        priority (ListConversationsPriority | Unset):
        sla_breached (ListConversationsSlaBreached | Unset):
        team (str | Unset):
        assignee (str | Unset):
        assigned (ListConversationsAssigned | Unset):
        tag (str | Unset):
        language (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConversationList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
        channel=channel,
        priority=priority,
        sla_breached=sla_breached,
        team=team,
        assignee=assignee,
        assigned=assigned,
        tag=tag,
        language=language,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    status: ListConversationsStatus | Unset = UNSET,
    channel: ListConversationsChannel | Unset = UNSET,
    priority: ListConversationsPriority | Unset = UNSET,
    sla_breached: ListConversationsSlaBreached | Unset = UNSET,
    team: str | Unset = UNSET,
    assignee: str | Unset = UNSET,
    assigned: ListConversationsAssigned | Unset = UNSET,
    tag: str | Unset = UNSET,
    language: str | Unset = UNSET,
) -> ConversationList | Problem | None:
    """The tenant's conversations, one row each

     Roles: admin, auditor, integrator, ops.

    Args:
        limit (int | Unset):  Default: 100.
        cursor (str | Unset):
        status (ListConversationsStatus | Unset):
        channel (ListConversationsChannel | Unset):
        priority (ListConversationsPriority | Unset):
        sla_breached (ListConversationsSlaBreached | Unset):
        team (str | Unset):
        assignee (str | Unset):
        assigned (ListConversationsAssigned | Unset):
        tag (str | Unset):
        language (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConversationList | Problem
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        status=status,
        channel=channel,
        priority=priority,
        sla_breached=sla_breached,
        team=team,
        assignee=assignee,
        assigned=assigned,
        tag=tag,
        language=language,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    status: ListConversationsStatus | Unset = UNSET,
    channel: ListConversationsChannel | Unset = UNSET,
    priority: ListConversationsPriority | Unset = UNSET,
    sla_breached: ListConversationsSlaBreached | Unset = UNSET,
    team: str | Unset = UNSET,
    assignee: str | Unset = UNSET,
    assigned: ListConversationsAssigned | Unset = UNSET,
    tag: str | Unset = UNSET,
    language: str | Unset = UNSET,
) -> Response[ConversationList | Problem]:
    """The tenant's conversations, one row each

     Roles: admin, auditor, integrator, ops.

    Args:
        limit (int | Unset):  Default: 100.
        cursor (str | Unset):
        status (ListConversationsStatus | Unset):
        channel (ListConversationsChannel | Unset):
        priority (ListConversationsPriority | Unset):
        sla_breached (ListConversationsSlaBreached | Unset):
        team (str | Unset):
        assignee (str | Unset):
        assigned (ListConversationsAssigned | Unset):
        tag (str | Unset):
        language (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConversationList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
        channel=channel,
        priority=priority,
        sla_breached=sla_breached,
        team=team,
        assignee=assignee,
        assigned=assigned,
        tag=tag,
        language=language,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: str | Unset = UNSET,
    status: ListConversationsStatus | Unset = UNSET,
    channel: ListConversationsChannel | Unset = UNSET,
    priority: ListConversationsPriority | Unset = UNSET,
    sla_breached: ListConversationsSlaBreached | Unset = UNSET,
    team: str | Unset = UNSET,
    assignee: str | Unset = UNSET,
    assigned: ListConversationsAssigned | Unset = UNSET,
    tag: str | Unset = UNSET,
    language: str | Unset = UNSET,
) -> ConversationList | Problem | None:
    """The tenant's conversations, one row each

     Roles: admin, auditor, integrator, ops.

    Args:
        limit (int | Unset):  Default: 100.
        cursor (str | Unset):
        status (ListConversationsStatus | Unset):
        channel (ListConversationsChannel | Unset):
        priority (ListConversationsPriority | Unset):
        sla_breached (ListConversationsSlaBreached | Unset):
        team (str | Unset):
        assignee (str | Unset):
        assigned (ListConversationsAssigned | Unset):
        tag (str | Unset):
        language (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConversationList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            status=status,
            channel=channel,
            priority=priority,
            sla_breached=sla_breached,
            team=team,
            assignee=assignee,
            assigned=assigned,
            tag=tag,
            language=language,
        )
    ).parsed
