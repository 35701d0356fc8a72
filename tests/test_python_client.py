"""An integrator's day through the typed Python client (clients/python) only: a customer writes, the
conversation is read and answered, a POST is retried with its Idempotency-Key, every conversation is
paged through, and bad input comes back as a typed problem naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from convoflow_client import (
    AuthenticatedClient,
    ProblemError,
    Unset,
    connect,
    conversations,
    every,
    expect,
    kpis_csv,
    new_key,
    post_inbound_email,
)
from convoflow_client.generated.api.conversations import (
    get_conversation,
    list_conversations,
    post_message,
    post_reply,
)
from convoflow_client.generated.api.subscriptions import create_subscription, rotate_subscription_secret
from convoflow_client.generated.models import (
    Channel,
    ConversationList,
    CreateSubscription,
    CreateSubscriptionEventsItem,
    EventResponse,
    PostMessage,
    PostMessageWait,
    PostParty,
    PostReply,
    Problem,
    RepeatedMail,
    Status,
)
from convoflow_client.generated.types import Response

from engine.api.conversation_calls import BACKSTOP_SECONDS
from engine.service.config import Settings
from tests.api_client import ApiClient, api_key
from tests.polling import eventually


def message(message_id: str, text: str = "Hello, my invoice is wrong") -> PostMessage:
    return PostMessage(
        message_id=message_id, channel=Channel.EMAIL, sender=PostParty(address="ada@example.com"), text=text
    )


@pytest.fixture
async def integrator(api: ApiClient) -> AsyncIterator[AuthenticatedClient]:
    """The client as an integrator holds it: the service's address and the tenant's API key."""
    async with connect(api.base_url, api_key(api.tenants["acme"])) as client:
        yield client


async def test_an_integrator_drives_a_conversation_through_the_client(
    integrator: AuthenticatedClient, worker: None
) -> None:
    created = expect(await post_message.asyncio_detailed("client-1", client=integrator, body=message("m-1")))
    assert created.created and created.conversation_id == "client-1" and created.status == Status.OPEN

    # The answer came when the message was recorded; the conversation shows it once it is handled.
    async def handled() -> bool:
        view = expect(await get_conversation.asyncio_detailed("client-1", client=integrator))
        return view.customer_messages == 1

    await eventually(handled, "the message handled")
    view = expect(await get_conversation.asyncio_detailed("client-1", client=integrator))
    assert view.customer.address == "ada@example.com"

    # No message_id: the client's Idempotency-Key stands in for it.
    replied = expect(
        await post_reply.asyncio_detailed(
            "client-1", client=integrator, body=PostReply(agent_id="agent-1", text="We are on it")
        )
    )
    assert not replied.duplicate
    view = expect(await get_conversation.asyncio_detailed("client-1", client=integrator))
    assert view.agent_messages == 1 and view.first_agent_reply_at is not None


async def test_a_raw_email_and_the_kpis_as_csv_through_the_client(
    integrator: AuthenticatedClient, worker: None
) -> None:
    # The generated call sent no body (400 empty_body), and `get_kpis` read a CSV answer as JSON.
    raw = b"From: Bea <bea@customer.example>\r\nMessage-ID: <pc-1@customer.example>\r\n\r\nhello\r\n"
    taken = expect(await post_inbound_email(integrator, raw))
    assert isinstance(taken, EventResponse) and taken.created, taken
    # Sent again: a repeat, which the document did not describe (the client raised KeyError 'seq').
    again = expect(await post_inbound_email(integrator, raw))
    assert isinstance(again, RepeatedMail) and again.duplicate, again
    text = await kpis_csv(integrator, group_by="channel")
    assert text.startswith("from,to,team,channel,agent,priority,metric"), text[:100]
    with pytest.raises(ProblemError) as refused:
        await kpis_csv(integrator, channel="fax")
    assert refused.value.status == 422 and refused.value.field_names == ["channel"]


async def test_a_post_retried_with_its_idempotency_key_takes_effect_once(
    integrator: AuthenticatedClient, worker: None
) -> None:
    key = new_key()
    decided = PostMessageWait.DECIDED  # answered once handled: the view below shows it at once
    first = await post_message.asyncio_detailed(
        "client-retry", client=integrator, body=message("m-1"), idempotency_key=key, wait=decided
    )
    retried = await post_message.asyncio_detailed(
        "client-retry", client=integrator, body=message("m-1"), idempotency_key=key, wait=decided
    )
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert expect(retried) == expect(first)  # the first answer again, not a second message
    view = expect(await get_conversation.asyncio_detailed("client-retry", client=integrator))
    assert view.customer_messages == 1

    other = message("m-2", "Another text")
    with pytest.raises(ProblemError) as refused:  # the same key for another request
        expect(
            await post_message.asyncio_detailed(
                "client-retry", client=integrator, body=other, idempotency_key=key
            )
        )
    assert refused.value.status == 422 and refused.value.field_names == ["Idempotency-Key"]


async def test_a_subscription_s_create_and_rotation_retried_with_their_key_parse_without_the_secret(
    integrator: AuthenticatedClient,
) -> None:
    """A replayed answer leaves the secret out (shown once); the schema required it, and the client
    raised KeyError on the retry the README tells integrators to make."""
    events = [CreateSubscriptionEventsItem.CONVERSATION_CREATED]
    body = CreateSubscription(url="https://93.184.216.34/hook", events=events)
    key = new_key()
    create = create_subscription.asyncio_detailed
    first = expect(await create(client=integrator, body=body, idempotency_key=key))
    again = await create(client=integrator, body=body, idempotency_key=key)
    assert again.headers["Idempotent-Replayed"] == "true"
    replayed = expect(again)
    assert replayed.id == first.id and isinstance(first.secret, str) and not replayed.secret
    rotation, rotate = new_key(), rotate_subscription_secret.asyncio_detailed
    rotated = expect(await rotate(first.id, client=integrator, idempotency_key=rotation))
    repeat = expect(await rotate(first.id, client=integrator, idempotency_key=rotation))
    assert rotated.secret and rotated.secret != first.secret and not repeat.secret


async def test_paging_through_every_conversation_follows_the_next_links(
    integrator: AuthenticatedClient, worker: None
) -> None:
    posted = {f"client-page-{n}" for n in range(5)}
    for conversation in sorted(posted):
        expect(await post_message.asyncio_detailed(conversation, client=integrator, body=message("m-1")))

    async def all_listed() -> bool:
        return {c.conversation_id async for c in conversations(integrator, limit=2)} == posted

    await eventually(all_listed, "the client lists the five conversations")

    pages = 0

    async def page(cursor: str | Unset) -> Response[ConversationList | Problem]:
        nonlocal pages
        pages += 1
        return await list_conversations.asyncio_detailed(client=integrator, limit=2, cursor=cursor)

    seen = [c.conversation_id async for c in every(page, lambda p: p.conversations)]
    assert sorted(seen) == sorted(posted) and pages == 3


async def test_bad_input_is_a_typed_problem_naming_the_field(integrator: AuthenticatedClient) -> None:
    early = PostMessage(
        message_id="m-1",
        channel=Channel.EMAIL,
        sender=PostParty(address="ada@example.com"),
        text="Hello",
        received_at=datetime(1999, 12, 31, tzinfo=UTC),
    )
    with pytest.raises(ProblemError) as refused:
        expect(await post_message.asyncio_detailed("client-bad", client=integrator, body=early))
    problem = refused.value
    assert problem.status == 422 and problem.type.startswith("urn:convoflow:problem:")
    assert problem.field_names == ["received_at"], problem.fields
    assert "366 days before" in problem.fields[0].message

    with pytest.raises(ProblemError) as missing:
        expect(await get_conversation.asyncio_detailed("client-none", client=integrator))
    assert missing.value.status == 404 and missing.value.detail


def readme_walk_through() -> str:
    """The README's Python block, under "The Python client"."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    return readme.split("**The Python client.**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]


async def test_the_readme_walk_through_runs(
    api: ApiClient, worker: None, capsys: pytest.CaptureFixture[str]
) -> None:
    scope: dict[str, Any] = {"__name__": "readme"}  # not "__main__": main() is awaited here
    exec(compile(readme_walk_through(), "README.md", "exec"), scope)
    await scope["main"](api.base_url, api_key(api.tenants["acme"]))
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "True true" and printed[1] == "open 1 1", printed
    assert printed[-1] == "422 urn:convoflow:problem:invalid_request ['received_at']", printed


def test_the_client_waits_longer_than_the_service_before_it_answers_503() -> None:
    """The client gave up at 30 s, exactly when a service with a slow worker answers its documented
    503 with Retry-After: the integrator got an httpx.ReadTimeout, and the generated Idempotency-Key
    that would have made the retry safe was lost with it."""
    service = Settings().update_timeout_seconds + BACKSTOP_SECONDS
    client = connect("http://127.0.0.1:1", "cfk_unused")
    assert client._timeout.read is not None and client._timeout.read > service
