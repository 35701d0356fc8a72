"""Which conversation an inbound email joins: the one its In-Reply-To/References name, if the sender is in it.

Our Message-IDs carry the conversation id (engine/contracts/message_ids.py), so a reply finds its
conversation from its headers. But anyone can write those headers: a customer who saw (or guessed)
another customer's Message-ID could post into that conversation, read its acknowledgements, make it
urgent. So a named conversation is joined only when the sender is its customer (addresses compared
case-insensitively), read from the conversation's own state in the caller's tenant (another tenant's
conversation is not found at all). Otherwise the email begins a new conversation whose id is derived
from its Message-ID, and the new conversation's first decision says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from engine.api.auth import TENANT
from engine.api.conversation_calls import Conversations, conversation_handle, current_state
from engine.api.conversations import conversations_of
from engine.api.errors import ApiError
from engine.contracts.ids import derived_id
from engine.contracts.message_ids import conversation_of, domain_of

NOT_MEMBER = "In-Reply-To named a conversation the sender does not belong to: began a new conversation"
NOT_FOUND = "In-Reply-To named no conversation of this tenant: began a new conversation"
# Each candidate costs a query (and may cost a worker a replay): a mail naming hundreds of our
# Message-IDs is answered after the newest few.
MAX_CANDIDATES = 3


@dataclass(frozen=True, kw_only=True)
class Threading:
    """Where the email goes, and why it did not go where its headers pointed (None: it did, or named none)."""

    conversation: str
    note: str | None = None
    joined: bool = False
    """It goes to a conversation the sender already has (its headers named it), not a new one."""


async def thread_for(request: web.Request, *, named: list[str], sender: str, message_id: str) -> Threading:
    """`thread_in` for the request's tenant."""
    return await thread_in(
        conversations_of(request), request[TENANT], named=named, sender=sender, message_id=message_id
    )


async def thread_in(
    conversations: Conversations,
    tenant: str,
    *,
    named: list[str],
    sender: str,
    message_id: str,
    domains: list[str] | None = None,
) -> Threading:
    """The conversation for an email from `sender` whose thread headers hold `named` (oldest first).

    The newest of our Message-IDs (of `domains`, default the domain of CONVOFLOW_EMAIL_FROM) whose
    conversation has `sender` as its customer wins, then the newest of the sender's own mails that
    began a conversation; with none, a new conversation
    `email-{hash of Message-ID}` (a gateway's redelivery lands in the same one).
    """
    ours = domains or [domain_of(conversations.settings.email_from)]
    candidates: list[str] = []
    for reference in reversed(named):
        for domain in ours:
            conversation = conversation_of(reference, domain)
            if conversation is not None and conversation not in candidates:
                candidates.append(conversation)
    # Then the conversations the customer's own mails began (an id derived from their Message-ID): a
    # follow-up to their first mail ("forgot to say: order 1234") names no id of ours, and began a
    # second conversation beside the first, with a second acknowledgement.
    began = derived_id("email", message_id)
    theirs = [derived_id("email", reference) for reference in reversed(named)]
    begun = [c for c in dict.fromkeys(theirs) if c not in candidates and c != began]
    note = None
    for conversation in [*candidates, *begun][:MAX_CANDIDATES]:
        customer = await customer_of(conversations, tenant, conversation)
        if customer is not None and customer.casefold() == sender.casefold():
            return Threading(conversation=conversation, joined=True)
        if conversation in candidates:  # a customer's own id that began nothing here says nothing
            note = NOT_MEMBER if customer is not None or note == NOT_MEMBER else NOT_FOUND
    return Threading(conversation=began, note=note)


async def customer_of(conversations: Conversations, tenant: str, conversation: str) -> str | None:
    """The customer address of `tenant`'s `conversation`, or None when it has no such one."""
    handle = conversation_handle(conversations.client, tenant, conversation)
    try:
        state = await conversations.call(lambda deadline: current_state(handle, deadline), handle)
    except ApiError as exc:
        if exc.status in (404, 409):
            return None
        raise
    return state.customer.address
