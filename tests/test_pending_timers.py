"""A pending conversation's idle reminder and auto-close count from the agent's latest word.

They counted from when it went pending: an agent who nudged the customer a while later ("just
checking in") was followed seconds after by "we are waiting for your answer", and the close.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime
from pathlib import Path

from engine.service.config import Settings
from tests.api_client import ApiClient, trail
from tests.conftest import TEST_PACKS, publish
from tests.polling import eventually
from tests.test_lifecycle import reply, set_status

REMINDER_SECONDS = 3.0  # idle_reminder_minutes 0.05
AGENT_WRITES_AFTER = 1.5  # the scenario: the agent nudges the customer a while after pending


def slower_timers(folder: Path) -> Path:
    """tests/packs/timers with a 3 s reminder and a 6 s close: room for a nudge in between."""
    shutil.copytree(TEST_PACKS / "timers", folder)
    pack = folder / "pack.yaml"
    text = pack.read_text(encoding="utf-8")
    text = text.replace("idle_reminder_minutes: 0.015", "idle_reminder_minutes: 0.05")
    text = text.replace("auto_close_idle_minutes: 0.03", "auto_close_idle_minutes: 0.1")
    pack.write_text(text, encoding="utf-8")
    return folder


async def test_an_agent_s_nudge_while_pending_restarts_the_reminder_and_the_close(
    api: ApiClient, settings: Settings, tmp_path: Path, worker: None
) -> None:
    publish(settings, slower_timers(tmp_path / "pack"))
    await api.post_message("pt-1", "m-1", "help (slow)")
    await set_status(api, "pt-1", "pending")
    await asyncio.sleep(AGENT_WRITES_AFTER)  # not an event awaited: the time the agent lets pass
    await reply(api, "pt-1", "Just checking in: did the reset work?")

    async def reminded() -> bool:
        return any(e["event"] == "conversation.idle" for e in await trail(api, "pt-1"))

    await eventually(reminded, "the idle reminder")
    entries = await trail(api, "pt-1")
    pending = next(e for e in entries if e["event"] == "status.changed" and "-> pending" in (e["note"] or ""))
    idle = next(e for e in entries if e["event"] == "conversation.idle")
    waited = datetime.fromisoformat(idle["at"]) - datetime.fromisoformat(pending["at"])
    assert waited.total_seconds() >= AGENT_WRITES_AFTER + REMINDER_SECONDS, waited


async def test_a_pack_may_have_the_auto_close_solve_so_a_late_answer_reopens_the_thread(
    api: ApiClient, settings: Settings, tmp_path: Path, worker: None
) -> None:
    """The auto-close went straight to closed: a customer answering a minute later began a new
    thread, acknowledged again and routed afresh (to another agent), and got no survey. Zendesk
    solves instead; a pack may choose it (`settings.auto_close_status: solved`)."""
    folder = tmp_path / "pack"
    shutil.copytree(TEST_PACKS / "timers", folder)
    pack = folder / "pack.yaml"
    text = pack.read_text(encoding="utf-8")
    pack.write_text(
        text.replace("  max_event_depth: 2\n", "  max_event_depth: 2\n  auto_close_status: solved\n")
    )
    publish(settings, folder)
    await api.post_message("pt-2", "m-1", "help (slow)")
    await set_status(api, "pt-2", "pending")

    async def solved_by_the_timer() -> bool:
        return (await api.get("pt-2")).body["status"] == "solved"

    await eventually(solved_by_the_timer, "the auto-close solving it")
    timer = [e for e in await trail(api, "pt-2") if e["event"] == "timer"]
    assert [e["note"] for e in timer] == ["solved: no customer reply while pending"], timer
    back = await api.post_message("pt-2", "m-2", "Sorry, I was away (slow)")
    assert back.body["status"] == "open" and back.body["thread"] == 1, back.body
    assert (await api.get("pt-2")).body["reopened"] == 1
