"""A CRM that is down for writes holds no conversation: the write-back goes on in the background.

A rule's `add_note` or `update_crm` ran as a normal activity with an hour of retries inside the
handler, under the conversation's lock: while a REST CRM answered 503 to writes, an agent's reply to
that conversation was answered 503 after the API's update timeout, and a status change the same.
Now a write gets one short attempt and, when the CRM does not take it, goes on in the background,
in order, and the trail records how it ended (`crm.written`, `crm.write_failed`).
Each test takes the CRM's writes down and brings them back on events it observes; nothing is timed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from aiohttp import web
from temporalio.client import Client

from engine.service.config import Settings
from tests.conftest import TEST_PACKS, publish, serve_service
from tests.late_sends import trail
from tests.local_servers import FakeCrm, serve_crm
from tests.polling import eventually
from tests.test_sends_in_background import post_reply

VIP = {"id": "c-9", "first_name": "Ada", "tier": "vip", "lifetime_value": 2000, "email": "ada@example.com"}


@dataclass
class CrmRefusingWrites(FakeCrm):
    """Lookups answer; every write is answered with `refuse_with` while it is set, and taken after."""

    refuse_with: int | None = None
    refused: int = 0
    taken: list[str] = field(default_factory=list)  # "patch" and "note", in the order they were taken

    async def patch(self, request: web.Request) -> web.Response:
        refused = await self._refused()
        if refused is not None:
            return refused
        self.taken.append("patch")
        return await super().patch(request)

    async def note(self, request: web.Request) -> web.Response:
        refused = await self._refused()
        if refused is not None:
            return refused
        self.taken.append("note")
        return await super().note(request)

    async def _refused(self) -> web.Response | None:
        if self.refuse_with is None:
            return None
        self.refused += 1
        return web.json_response({"error": "unavailable"}, status=self.refuse_with)


async def crm_entries(api, conversation: str, count: int) -> list[dict]:
    """The trail once `count` background CRM writes ended."""
    entries: list[dict] = []

    async def ended() -> bool:
        nonlocal entries
        entries = await trail(api, conversation)
        return sum(e["event"] in ("crm.written", "crm.write_failed") for e in entries) >= count

    await eventually(ended, f"{conversation}: {count} CRM writes ended on the trail")
    return entries


async def test_a_reply_is_answered_while_the_crm_refuses_writes_and_they_follow_in_order(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "crm")
    crm = CrmRefusingWrites(customers={"ada@example.com": VIP}, refuse_with=503)
    async with serve_crm(crm):
        chosen = settings.model_copy(update={"crm": "rest", "crm_url": crm.url, "update_timeout_seconds": 8})
        async with serve_service(client, chosen, tenants) as api:
            first = await api.post_message("crm-down-1", "m-1", "Hello")
            reply = await post_reply(api, "crm-down-1", "On it")
            solved = await api.request(
                "POST", "/v1/conversations/crm-down-1/status", json={"status": "solved"}
            )
            assert crm.refused >= 1 and not crm.notes and not crm.patches
            waiting = (await api.get("crm-down-1")).body["crm_writes_waiting"]
            crm.refuse_with = None
            entries = await crm_entries(api, "crm-down-1", 2)
    assert first.status == 201, first.body
    assert (reply.status, solved.status) == (200, 200), (reply.body, solved.body)
    assert waiting == 2  # the rule's note and field, one behind the other
    # The rule's two writes, once each, in the rule's order (the note, then the field).
    assert crm.taken == ["note", "patch"]
    assert [n[:2] for n in crm.notes] == [("c-9", {"text": "VIP conversation opened"})]
    assert [p[:2] for p in crm.patches] == [("c-9", {"last_contact_channel": "email"})]
    created = entries[0]
    assert created["event"] == "conversation.created"
    details = [done["detail"] or "" for done in created["executed"]]
    assert sum("in the background" in d for d in details) == 2, details
    assert [e["event"] for e in entries if e["event"].startswith("crm.")] == ["crm.written", "crm.written"]


async def test_a_crm_write_refused_for_good_in_the_background_is_on_the_trail(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "crm")
    crm = CrmRefusingWrites(customers={"ada@example.com": VIP}, refuse_with=503)
    async with serve_crm(crm):
        chosen = settings.model_copy(update={"crm": "rest", "crm_url": crm.url, "update_timeout_seconds": 8})
        async with serve_service(client, chosen, tenants) as api:
            await api.post_message("crm-down-2", "m-1", "Hello")
            crm.refuse_with = 422  # the CRM now says no to the write itself: no retry helps
            entries = await crm_entries(api, "crm-down-2", 2)
    failed = [e for e in entries if e["event"] == "crm.write_failed"]
    assert len(failed) == 2 and all("422" in e["note"] for e in failed), failed
    assert "VIP conversation opened" not in json.dumps(failed), "no note text on the trail's failure"
