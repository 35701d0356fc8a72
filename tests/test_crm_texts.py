"""A rule's CRM note and CRM value fill their `{placeholders}`, as a `notify` message does.

They were written to the CRM as the rule had them: the agent opening the customer's record read
"VIP {customer.first_name} opened {conversation.id}". Checked against a REST CRM on 127.0.0.1.
"""

from __future__ import annotations

from temporalio.client import Client

from engine.service.config import Settings
from tests.conftest import TEST_PACKS, publish, serve_service
from tests.local_servers import FakeCrm, serve_crm
from tests.polling import eventually

ADA = {"id": "c-9", "first_name": "Ada", "tier": "vip", "lifetime_value": 2000, "email": "ada@example.com"}


async def test_a_rules_crm_note_and_value_are_filled(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "crm_filled")
    crm = FakeCrm(customers={"ada@example.com": ADA})
    async with serve_crm(crm):
        chosen = settings.model_copy(update={"crm": "rest", "crm_url": crm.url})
        async with serve_service(client, chosen, tenants) as api:
            assert (await api.post_message("fill-1", "m-1", "Hello")).status == 201

            async def written() -> bool:
                return len(crm.notes) == 2 and len(crm.patches) == 3

            await eventually(written, "the rule's notes and fields in the CRM")
    assert [n[:2] for n in crm.notes] == [
        ("c-9", {"text": "VIP Ada opened fill-1 on email"}),
        ("c-9", {"text": "Agents: reply with {order_id} , thanks"}),  # as written, not emptied
    ]
    assert [p[:2] for p in crm.patches] == [
        ("c-9", {"last_contact_channel": "email"}),
        ("c-9", {"tier_seen": "vip"}),
        ("c-9", {"source": '{"source": "convoflow", "v": 2}'}),
    ]
