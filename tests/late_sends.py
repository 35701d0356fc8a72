"""Waiting for the sends a channel did not take at once, which go on after the handler's answer.

workflows/conversation/delivery.py: such a send ends with a trail entry of its own
(`message.delivered` or `message.delivery_failed`), so a test waits for that, not for time.
"""

from __future__ import annotations

from tests.api_client import ApiClient, trail
from tests.polling import eventually
from workflows.conversation.delivery import SentLater

__all__ = ["delivered_late", "sends_settled", "trail"]


async def delivered_late(api: ApiClient, conversation: str, count: int = 1) -> list[dict]:
    """The trail once `count` sends the channel did not take at once were delivered in the background
    (workflows/conversation/delivery.py): the handler that sent them was answered before that."""
    entries: list[dict] = []

    async def there() -> bool:
        nonlocal entries
        entries = await trail(api, conversation)
        return sum(e["event"] == "message.delivered" for e in entries) >= count

    # The first try after the far side is back waits out its retry's pause (1 s doubling).
    await eventually(there, f"{conversation}: {count} late deliveries on the trail", within=60)
    return entries


async def sends_settled(api: ApiClient, conversation: str) -> list[dict]:
    """The trail once every send that went on in the background has ended (delivered or failed)."""
    later = SentLater().note
    entries: list[dict] = []

    async def settled() -> bool:
        nonlocal entries
        entries = await trail(api, conversation)
        went = sum(later in (e["note"] or "") for e in entries) + sum(
            later in (done["detail"] or "") for e in entries for done in e["executed"]
        )
        ended = sum(e["event"] in ("message.delivered", "message.delivery_failed") for e in entries)
        return ended == went

    await eventually(settled, f"{conversation}: every send gone on in the background ended", within=60)
    return entries
