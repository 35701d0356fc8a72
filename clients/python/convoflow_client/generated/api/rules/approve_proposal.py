from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.decided_proposal import DecidedProposal
from ...models.problem import Problem
from ...models.proposal_decision import ProposalDecision
from ...types import UNSET, Response, Unset


def _get_kwargs(
    proposal_id: str,
    *,
    body: ProposalDecision | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/rules/proposals/{proposal_id}/approve".format(
            proposal_id=quote(str(proposal_id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DecidedProposal | Problem | None:
    if response.status_code == 200:
        response_200 = DecidedProposal.from_dict(response.json())

        return response_200

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
) -> Response[DecidedProposal | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    proposal_id: str,
    *,
    client: AuthenticatedClient,
    body: ProposalDecision | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[DecidedProposal | Problem]:
    """Approve and activate a proposal: needs another ops or admin key than the proposer's (403
    `same_key`); 409 `stale_proposal` when the active pack changed since it was proposed,
    `proposal_decided` when already approved or rejected; a promotion's tests and check run again (422).
    The body is optional

     Roles: admin, ops.

    Args:
        proposal_id (str):
        idempotency_key (str | Unset):
        body (ProposalDecision | Unset): The optional body of an approval or rejection.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecidedProposal | Problem]
    """

    kwargs = _get_kwargs(
        proposal_id=proposal_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    proposal_id: str,
    *,
    client: AuthenticatedClient,
    body: ProposalDecision | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> DecidedProposal | Problem | None:
    """Approve and activate a proposal: needs another ops or admin key than the proposer's (403
    `same_key`); 409 `stale_proposal` when the active pack changed since it was proposed,
    `proposal_decided` when already approved or rejected; a promotion's tests and check run again (422).
    The body is optional

     Roles: admin, ops.

    Args:
        proposal_id (str):
        idempotency_key (str | Unset):
        body (ProposalDecision | Unset): The optional body of an approval or rejection.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecidedProposal | Problem
    """

    return sync_detailed(
        proposal_id=proposal_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    proposal_id: str,
    *,
    client: AuthenticatedClient,
    body: ProposalDecision | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[DecidedProposal | Problem]:
    """Approve and activate a proposal: needs another ops or admin key than the proposer's (403
    `same_key`); 409 `stale_proposal` when the active pack changed since it was proposed,
    `proposal_decided` when already approved or rejected; a promotion's tests and check run again (422).
    The body is optional

     Roles: admin, ops.

    Args:
        proposal_id (str):
        idempotency_key (str | Unset):
        body (ProposalDecision | Unset): The optional body of an approval or rejection.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecidedProposal | Problem]
    """

    kwargs = _get_kwargs(
        proposal_id=proposal_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    proposal_id: str,
    *,
    client: AuthenticatedClient,
    body: ProposalDecision | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> DecidedProposal | Problem | None:
    """Approve and activate a proposal: needs another ops or admin key than the proposer's (403
    `same_key`); 409 `stale_proposal` when the active pack changed since it was proposed,
    `proposal_decided` when already approved or rejected; a promotion's tests and check run again (422).
    The body is optional

     Roles: admin, ops.

    Args:
        proposal_id (str):
        idempotency_key (str | Unset):
        body (ProposalDecision | Unset): The optional body of an approval or rejection.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecidedProposal | Problem
    """

    return (
        await asyncio_detailed(
            proposal_id=proposal_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
