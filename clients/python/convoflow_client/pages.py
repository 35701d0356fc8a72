"""Every row of a paged list, following its `next` links (`limit` and `cursor` on every list).

A cursor is opaque and bound to the listing's filters, so each page is asked for with the same
filters and the cursor taken from the previous page's `next` link; rows added while paging neither
repeat nor push others out of reach (the service pages by keyset, not offset).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from .generated.api.conversations import list_conversations
from .generated.client import AuthenticatedClient
from .generated.models.conversation_summary import ConversationSummary
from .generated.models.problem import Problem
from .generated.types import UNSET, Response, Unset
from .problems import expect


class Page(Protocol):
    @property
    def next_(self) -> str | Unset | None: ...


PageT = TypeVar("PageT", bound=Page)
ItemT = TypeVar("ItemT")


def cursor_of(link: str) -> str:
    """The `cursor` of a `next` link (`/v1/conversations?limit=2&cursor=...`)."""
    values = parse_qs(urlsplit(link).query).get("cursor")
    if not values:
        raise ValueError(f"a next link without a cursor: {link}")
    return values[0]


async def every(
    fetch: Callable[[str | Unset], Awaitable[Response[PageT | Problem]]],
    items: Callable[[PageT], Iterable[ItemT]],
) -> AsyncIterator[ItemT]:
    """Each item of each page: `fetch(cursor)` asks for one page (UNSET for the first) with the
    caller's filters, `items(page)` takes its rows. A problem on any page raises `ProblemError`.

        async for row in every(
            lambda cursor: list_conversations.asyncio_detailed(client=client, status=OPEN, cursor=cursor),
            lambda page: page.conversations,
        ): ...
    """
    cursor: str | Unset = UNSET
    while True:
        page = expect(await fetch(cursor))
        for item in items(page):
            yield item
        if not isinstance(page.next_, str):
            return
        cursor = cursor_of(page.next_)


def conversations(client: AuthenticatedClient, *, limit: int = 100) -> AsyncIterator[ConversationSummary]:
    """All of the tenant's conversations, `limit` per request (use `every` to filter)."""
    return every(
        lambda cursor: list_conversations.asyncio_detailed(client=client, limit=limit, cursor=cursor),
        lambda page: page.conversations,
    )
