"""A raw email through `POST /v1/inbound/email`: the generated call hands httpx the body as a file,
which httpx's async client cannot send ("an sync request with an AsyncClient"); this sends its bytes.

    answer = expect(await post_inbound_email(client, raw))  # EventResponse, or Quarantined (202)
"""

from __future__ import annotations

import io

from .generated.api.inbound import inbound_email
from .generated.client import AuthenticatedClient
from .generated.models import EventResponse, Problem, Quarantined, RepeatedMail
from .generated.types import UNSET, File, Response, Unset


async def post_inbound_email(
    client: AuthenticatedClient, raw: bytes, *, idempotency_key: str | Unset = UNSET
) -> Response[EventResponse | RepeatedMail | Problem | Quarantined]:
    """The mail as the gateway received it (RFC 822 bytes): 201 a new conversation, 200 joined one
    (or `RepeatedMail`: taken before), 202 quarantined (see README "Email")."""
    request = inbound_email._get_kwargs(body=File(payload=io.BytesIO(raw)), idempotency_key=idempotency_key)
    request["content"] = raw
    response = await client.get_async_httpx_client().request(**request)
    return inbound_email._build_response(client=client, response=response)
