"""A data subject's requests: one customer's conversations found by any form of their address, and
erased from Temporal and every table, while another customer's stay as they were.

A privacy officer could only page every conversation and read each; deleting a workflow by hand left
the replies sent, the CRM's notes, the KPI facts and the events in the database (helper-109)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.local_crm import LocalCrm
from engine.db.outbox_mirror import read_mirror
from engine.db.schema import crm_contacts, crm_writes, customer_conversations, kpi_facts, outbox
from engine.service import audit_bundle
from engine.service.audit_key import audit_key_of
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient
from tests.cli_run import cli
from tests.conftest import TEST_PACKS, build_worker, publish, serve_api
from tests.polling import eventually
from tests.replay import assert_replays
from tests.test_kpis import AUDIT_KEY

ADA, BOB = "Ada.Lovelace@Example.com", "bob@example.com"
ADA_PHONE = "+49 151 0000 0300"
VIP = {"tier": "vip", "lifetime_value": "5000"}  # the crm pack writes a note back for a VIP


async def rows(settings: Settings, table, **where: str) -> int:
    database = database_of(settings)
    try:
        statement = select(func.count()).select_from(table)
        for column, value in where.items():
            statement = statement.where(table.c[column] == value)
        async with database.connect() as connection:
            return int((await connection.execute(statement)).scalar_one())
    finally:
        await database.dispose()


async def gone(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        return exc.status == RPCStatusCode.NOT_FOUND
    return False


async def two_customers(api: ApiClient, settings: Settings, tenant: str) -> None:
    """Ada writes by email (answered and solved) and on WhatsApp; Bob by email. Both are CRM contacts."""
    crm = LocalCrm(database_of(settings))
    await crm.upsert_many(
        tenant,
        [
            {"id": "cus-ada", "email": ADA.lower(), "phone": ADA_PHONE, **VIP},
            {"id": "cus-bob", "email": BOB, **VIP},
        ],
    )
    iban = "My IBAN is DE89370400440532013000"
    assert (await api.post_message("dsr-1", "m-1", iban, sender=ADA)).status == 201
    again = await api.post_message("dsr-1", "m-1", iban, sender=ADA)  # the channel delivers it twice
    assert again.status == 200 and again.body["duplicate"] is True
    reply = {"agent_id": "ana", "text": "Dear Ada, refunded", "message_id": "r-1"}
    assert (await api.request("POST", "/v1/conversations/dsr-1/replies", json=reply)).status == 200
    solved = await api.request("POST", "/v1/conversations/dsr-1/status", json={"status": "solved"})
    assert solved.status == 200
    whatsapp = await api.post_message("dsr-2", "w-1", "Hallo", channel="whatsapp", sender="4915100000300")
    assert whatsapp.status == 201
    assert (await api.post_message("dsr-3", "b-1", "Where is my parcel?", sender=BOB)).status == 201


async def test_a_customer_is_found_by_any_form_of_their_addresses_and_erased_alone(
    client: Client,
    shell: Settings,
    tenants: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    settings = shell
    publish(settings, TEST_PACKS / "crm")  # a VIP's conversation writes a note back to the CRM
    tenant = tenants["acme"]
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        await two_customers(api, settings, tenant)
        assert await rows(settings, crm_writes, customer_id="cus-ada") > 0

        found = await cli(
            capsys, "customer", "find", "--tenant", tenant, "--address", "ada.lovelace@example.COM",
            "--address", "0049 151 0000 0300",
        )  # fmt: skip
        assert found.returncode == 0, found.stderr
        shown = json.loads(found.stdout)
        assert [c["conversation_id"] for c in shown["conversations"]] == ["dsr-1", "dsr-2"]
        assert shown["crm_contacts"] == ["cus-ada"]

        # An auditor's bundles of last week, exported before the erasure (a rebuild from them brought
        # the erased conversation back into the KPIs, for good: helper-121).
        monkeypatch.setenv("CONVOFLOW_AUDIT_KEY", AUDIT_KEY)
        keyed = settings.model_copy(update={"audit_key": SecretStr(AUDIT_KEY)})
        database = database_of(settings)
        try:
            for conversation in ("dsr-1", "dsr-3"):
                await eventually(lambda c=conversation: facts_of(settings, c), f"{conversation}'s facts")
                bundle = await audit_bundle.export(
                    client, database, tenant, conversation, audit_key_of(keyed)
                )
                audit_bundle.write_bundle(tmp_path / "bundles" / f"{conversation}.zip", bundle)
        finally:
            await database.dispose()

        not_yet = await cli(capsys, "customer", "erase", "--tenant", tenant, "--address", ADA)
        assert not_yet.returncode == 2 and "add --yes" in not_yet.stderr
        assert (await api.get("dsr-1")).status == 200

        erased = await cli(
            capsys, "customer", "erase", "--tenant", tenant, "--address", ADA, "--address", ADA_PHONE,
            "--actor", "dpo-office", "--yes",
        )  # fmt: skip
        assert erased.returncode == 0, erased.stderr
        record = json.loads(erased.stdout)
        assert record["conversations"] == ["dsr-1", "dsr-2"] and record["actor"] == "dpo-office"
        assert record["removed"]["temporal_runs"] >= 2 and record["removed"]["outbox"] >= 2
        assert record["removed"]["crm_contacts"] == 1 and record["removed"]["kpi_facts"] > 0
        # the lives whose facts went: a rebuild leaves out those, not a life begun since
        assert sorted(record["erased_lives"]) == ["dsr-1", "dsr-2"], record

        for conversation in ("dsr-1", "dsr-2"):
            workflow_id = api.workflow_id(conversation)
            await eventually(lambda w=workflow_id: gone(client, w), f"{conversation} deleted")
            assert (await api.get(conversation)).status == 404
        assert (await api.get("dsr-3")).status == 200
        await assert_replays(client, api.workflow_id("dsr-3"))

    # Nothing of Ada's is left in the database or the outbox's mirror; Bob's is all there.
    for table in (outbox, kpi_facts, customer_conversations):
        assert await rows(settings, table, conversation_id="dsr-1") == 0, table.name
    assert await rows(settings, outbox, conversation_id=api.workflow_id("dsr-1")) == 0
    assert await rows(settings, outbox, conversation_id=api.workflow_id("dsr-3")) == 1
    assert await rows(settings, kpi_facts, conversation_id="dsr-3") > 0
    assert await rows(settings, crm_contacts, customer_id="cus-ada") == 0
    assert await rows(settings, crm_writes, customer_id="cus-ada") == 0
    assert await rows(settings, crm_contacts, customer_id="cus-bob") == 1
    assert await rows(settings, crm_writes, customer_id="cus-bob") > 0
    if settings.database_url is None:  # embedded defaults mirror the outbox to a file
        mirrored = read_mirror(Path(settings.outbox_path))
        assert {m["conversation_id"] for m in mirrored} == {api.workflow_id("dsr-3")}

    # The erasure is on record, without the address it was asked by.
    listed = await cli(capsys, "customer", "erasures", "--tenant", tenant)
    assert listed.returncode == 0 and json.loads(listed.stdout)["erasure_id"] == record["erasure_id"]
    text = (
        listed.stdout.lower()
    )  # no written form of either address (ids and digests are hex: "ada" may be one)
    assert "lovelace" not in text and "example.com" not in text, text
    assert not any(form in text for form in ("0000 0300", "15100000300", "0000300")), text
    again = await cli(capsys, "customer", "find", "--tenant", tenant, "--address", ADA)
    assert json.loads(again.stdout) == {"conversations": [], "crm_contacts": [], "quarantined_mail": []}

    bob_s = await rows(settings, kpi_facts, conversation_id="dsr-3")
    rebuilt = await cli(capsys, "kpi", "rebuild", "--from-bundles", str(tmp_path / "bundles"))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert await rows(settings, kpi_facts, conversation_id="dsr-1") == 0  # Ada's stays out
    assert await rows(settings, kpi_facts, conversation_id="dsr-3") == bob_s
    assert f"before its erasure {record['erasure_id']}" in rebuilt.stderr, rebuilt.stderr
    # counted as what it wrote: Bob's conversation, Ada's said apart (it counted both: helper-125)
    assert rebuilt.stdout.startswith("1 conversations, ") and "(1 left out: erased)" in rebuilt.stdout


async def facts_of(settings: Settings, conversation: str) -> bool:
    return await rows(settings, kpi_facts, conversation_id=conversation) > 0


async def test_conversations_begun_before_the_index_are_indexed_from_temporal(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """An installation upgraded to the release with the index has conversations nobody indexed:
    `customer index` reads each one's customer from Temporal, so a request finds them too."""
    tenant = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        assert (await api.post_message("old-1", "m-1", "Hello", sender=ADA)).status == 201
        sms = await api.post_message("old-2", "m-1", "Hallo", channel="sms", sender=ADA_PHONE)
        assert sms.status == 201
        database = database_of(shell)
        async with database.begin() as connection:  # as before the index existed
            await connection.execute(customer_conversations.delete())
        await database.dispose()
        unknown = await cli(capsys, "customer", "find", "--tenant", tenant, "--address", ADA)
        assert json.loads(unknown.stdout)["conversations"] == []
        indexed = await cli(capsys, "customer", "index", "--tenant", tenant)
        assert indexed.returncode == 0 and "2 conversation(s) of tenant" in indexed.stdout, indexed
        found = await cli(
            capsys, "customer", "find", "--tenant", tenant, "--address", ADA, "--address", "+4915100000300"
        )
        assert [c["conversation_id"] for c in json.loads(found.stdout)["conversations"]] == ["old-1", "old-2"]


async def test_a_customer_s_data_is_exported_whole_and_only_theirs(
    client: Client,
    shell: Settings,
    tenants: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The right of access: the audit bundle held what the rules read, not the agent's reply, one
    conversation at a time."""
    publish(shell, TEST_PACKS / "crm")
    tenant = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        await two_customers(api, shell, tenant)

        async def sent() -> bool:  # the acknowledgement and the reply are in the outbox
            return await rows(shell, outbox, conversation_id=api.workflow_id("dsr-1")) >= 2

        await eventually(sent, "dsr-1's messages sent")
        output = tmp_path / "ada.json"
        exported = await cli(
            capsys, "customer", "export", "--tenant", tenant, "--address", ADA, "--address", ADA_PHONE,
            "--output", str(output),
        )  # fmt: skip
        assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    document = json.loads(output.read_text())
    email, whatsapp = document["conversations"]
    assert (email["conversation_id"], whatsapp["conversation_id"]) == ("dsr-1", "dsr-2")
    said = [(m["from"], m["text"]) for m in email["messages"] if m["from"] != "us"]
    assert said == [("customer", "My IBAN is DE89370400440532013000"), ("agent", "Dear Ada, refunded")]
    assert email["crm_record"]["id"] == "cus-ada" and email["sent_on_the_local_channel"], email
    assert [m["text"] for m in whatsapp["messages"] if m["from"] == "customer"] == ["Hallo"]
    [contact] = document["crm_contacts"]
    assert contact["customer_id"] == "cus-ada" and contact["written"], contact
    assert "Where is my parcel" not in output.read_text() and BOB not in output.read_text()


async def test_someone_writing_into_another_s_conversation_is_found_but_erases_only_their_own(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Carol wrote into Ada's email conversation (in copy): only the address that began a conversation
    was indexed, so a request for Carol's data found nothing, and Ada's export carried her message."""
    tenant = tenants["acme"]
    carol = "carol@example.com"
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        assert (await api.post_message("chat-1", "m-1", "Hi", sender=ADA)).status == 201
        into = await api.post_message("chat-1", "m-2", "my card is 4111", sender=carol)
        assert into.status == 200
        assert (await api.post_message("chat-2", "m-1", "Carol's own", sender=carol)).status == 201
        found = await cli(capsys, "customer", "find", "--tenant", tenant, "--address", carol)
        assert [c["conversation_id"] for c in json.loads(found.stdout)["conversations"]] == [
            "chat-1",
            "chat-2",
        ]
        exported = await cli(capsys, "customer", "export", "--tenant", tenant, "--address", ADA)
        [ada_chat] = json.loads(exported.stdout)["conversations"]
        assert [m["text"] for m in ada_chat["messages"] if m["from"] == "customer"] == ["Hi"]
        assert ada_chat["messages_of_other_senders_left_out"] == 1
        # Carol's export of Ada's conversation: her own message, nothing of Ada's (address, tags, replies).
        hers = await cli(capsys, "customer", "export", "--tenant", tenant, "--address", carol)
        into_ada, own = json.loads(hers.stdout)["conversations"]
        assert into_ada["another_customer_s"] is True and "customer" not in into_ada, into_ada
        assert [m["text"] for m in into_ada["messages"]] == ["my card is 4111"]
        assert own["customer"]["address"] == carol
        erased = await cli(capsys, "customer", "erase", "--tenant", tenant, "--address", carol, "--yes")
        assert erased.returncode == 0, erased.stderr
        record = json.loads(erased.stdout)
        assert record["conversations"] == ["chat-2"] and record["written_into_others"] == ["chat-1"]
        assert "wrote into conversations of other customers" in erased.stderr
        assert (await api.get("chat-1")).status == 200  # Ada's conversation is Ada's


async def test_an_erasure_without_a_worker_erases_nothing_and_says_so(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """With no worker the close timed out with an error the command did not expect: a traceback."""
    tenant = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        assert (await api.post_message("nw-1", "m-1", "Hello", sender=ADA)).status == 201
    blocked = await cli(capsys, "customer", "erase", "--tenant", tenant, "--address", ADA, "--yes")
    assert blocked.returncode == 1 and "nothing erased" in blocked.stderr, blocked
    assert "Traceback" not in blocked.stderr
    assert await rows(shell, customer_conversations, conversation_id="nw-1") == 1
    assert not await gone(client, f"conversation:{tenant}:nw-1")


async def test_held_mail_the_parser_could_not_read_is_found_by_its_from(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A mail quarantined as unparseable (a 9 KB subject) names no sender: find, export and erase
    never saw it, and its sealed raw mail (address and text) stayed its 30 days."""
    tenant = tenants["acme"]
    raw = (
        b"From: Finn <finn@example.com>\r\nTo: support@convoflow.local\r\nMessage-ID: <big-1@example.com>\r\n"
        b"Subject: " + b"x" * 9000 + b"\r\nContent-Type: text/plain\r\n\r\nMy account 12345, please.\r\n"
    )
    async with serve_api(client, shell, tenants) as api:
        held = await api.request(
            "POST", "/v1/inbound/email", data=raw, headers={"Content-Type": "message/rfc822"}
        )
        assert held.status == 202 and held.body["reason"] == "unparseable", held.body
    found = await cli(capsys, "customer", "find", "--tenant", tenant, "--address", "FINN@example.com")
    assert json.loads(found.stdout)["quarantined_mail"] == [held.body["quarantine_id"]]


async def test_an_erasure_stopped_after_temporal_deleted_the_runs_finishes_when_run_again(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI says an erasure that stopped (Temporal or the database failing after the runs were
    deleted) goes on when run again; the run again found no workflow to close, took Temporal's
    NOT_FOUND for a worker that did not answer, and refused with nothing erased, for good."""
    tenant = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        assert (await api.post_message("half-1", "m-1", "Hello", sender=ADA)).status == 201
        workflow_id = api.workflow_id("half-1")
        run_id = (await client.get_workflow_handle(workflow_id).describe()).run_id
        await client.workflow_service.delete_workflow_execution(
            DeleteWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            )
        )
        await eventually(lambda: gone(client, workflow_id), "half-1's run deleted")
        again = await cli(capsys, "customer", "erase", "--tenant", tenant, "--address", ADA, "--yes")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["conversations"] == ["half-1"]
    assert await rows(shell, customer_conversations, conversation_id="half-1") == 0
    assert await rows(shell, kpi_facts, conversation_id="half-1") == 0
