"""Each breached SLA target escalates on its own clock.

Resolution breached after first response: its rule escalated to level 1 again and the level after it
was timed from the first response's breach (so it ran at once, 120 business minutes early with the
default pack), named the first response, and took the place of the first response's own pending
level. Now each target's next level is due its `after_breach_minutes` after its own breach.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish
from tests.polling import eventually
from tests.test_lifecycle import state


async def test_a_second_breach_schedules_its_own_next_level(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "escalations")
    assert (await api.post_message("esc-1", "m-1", "help", wait=None)).status == 201

    sla: dict = {}

    async def both_breached() -> bool:
        nonlocal sla
        sla = (await state(api, "esc-1"))["sla"]
        return all(t["breached_at"] for t in sla["targets"].values())

    await eventually(both_breached, "first response and resolution breached")
    after = timedelta(minutes=10)  # level 2's after_breach_minutes, on a 24/7 calendar
    due = {(e["level"], e["target"]): datetime.fromisoformat(e["due_at"]) for e in sla["escalations"]}
    assert due == {
        (2, name): datetime.fromisoformat(t["breached_at"]) + after for name, t in sla["targets"].items()
    }
