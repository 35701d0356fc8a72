"""A data subject's requests over HTTP (engine/api/customers.py): a tenant's admin finds, exports and
erases a customer's data, and an auditor reads that it was done, without a shell on the database's
host; no address is ever in a URL, in a log line or kept for an Idempotency-Key replay."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from temporalio.client import Client

from engine.db.schema import idempotency_keys
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient
from tests.conftest import build_worker, serve_api
from tests.test_api_roles import as_key, keys_by_role
from tests.test_customer_requests import ADA, ADA_PHONE, BOB, two_customers


async def kept_answers(settings: Settings) -> int:
    database = database_of(settings)
    try:
        async with database.connect() as connection:
            statement = select(func.count()).select_from(idempotency_keys)
            return int((await connection.execute(statement)).scalar_one())
    finally:
        await database.dispose()


async def test_an_admin_finds_exports_and_erases_a_customer_and_an_auditor_sees_it_done(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    tenant = tenants["acme"]
    keys = await keys_by_role(settings, tenant)
    caplog.set_level(logging.INFO, logger="convoflow.access")
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        await two_customers(api, settings, tenant)
        forms = {"addresses": ["ada.lovelace@EXAMPLE.com", "0049 151 0000 0300"]}

        found = await as_key(api, keys["admin"], "POST", "/v1/customers/search", forms)
        assert found.status == 200, found.body
        assert [c["conversation_id"] for c in found.body["conversations"]] == ["dsr-1", "dsr-2"]
        assert found.body["crm_contacts"] == ["cus-ada"] and found.body["notes"] == []
        await api.assert_described(found, "POST", "/v1/customers/search")
        for role in ("integrator", "ops", "auditor"):
            refused = await as_key(api, keys[role], "POST", "/v1/customers/search", forms)
            assert refused.status == 403, (role, refused.body)

        # An export asked with an Idempotency-Key is answered, and kept nowhere.
        before = await kept_answers(settings)
        exported = await api.request(
            "POST",
            "/v1/customers/export",
            json={"addresses": [ADA, ADA_PHONE]},
            headers={"Authorization": f"Bearer {keys['admin']}", "Idempotency-Key": "dsr-export-1"},
            tenant=None,
        )
        assert exported.status == 200 and "Idempotent-Replayed" not in exported.headers
        email = exported.body["conversations"][0]
        assert [m["text"] for m in email["messages"] if m["from"] == "customer"] == [
            "My IBAN is DE89370400440532013000"
        ]
        assert exported.headers["Cache-Control"] == "no-store"
        assert await kept_answers(settings) == before

        dry = await as_key(api, keys["admin"], "POST", "/v1/customers/erasures", {**forms, "dry_run": True})
        assert dry.status == 200 and len(dry.body["conversations"]) == 2
        assert (await api.get("dsr-1")).status == 200

        erased = await as_key(
            api, keys["admin"], "POST", "/v1/customers/erasures", {**forms, "actor": "DSR-2026-17"}
        )
        assert erased.status == 201, erased.body
        await api.assert_described(erased, "POST", "/v1/customers/erasures")
        record = erased.body
        assert record["conversations"] == ["dsr-1", "dsr-2"]
        assert record["actor"].startswith("DSR-2026-17 (key k_"), record["actor"]
        assert record["removed"]["temporal_runs"] >= 2 and record["removed"]["crm_contacts"] == 1
        assert (await api.get("dsr-1")).status == 404 and (await api.get("dsr-3")).status == 200

        listed = await as_key(api, keys["auditor"], "GET", "/v1/customers/erasures")
        assert listed.status == 200 and [r["erasure_id"] for r in listed.body["items"]] == [
            record["erasure_id"]
        ]
        shown = [{k: v for k, v in r.items() if k != "customer_keys"} for r in listed.body["items"]]
        assert "ada" not in str(shown).lower() and "0300" not in str(shown)  # digests' hex may read "ada"
        again = await as_key(api, keys["admin"], "POST", "/v1/customers/search", forms)
        assert again.body["conversations"] == [] and again.body["crm_contacts"] == []

    requests = [r.getMessage() for r in caplog.records if r.name == "convoflow.access"]
    assert sum("customer request /v1/customers/" in line for line in requests) >= 5, requests
    assert not [line for line in requests if "ada" in line.lower() or "0300" in line], requests


async def test_a_request_names_what_is_wrong_with_its_addresses(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    keys = await keys_by_role(settings, tenants["acme"])
    for body, field in (
        ({"addresses": []}, "addresses"),
        ({"addresses": [BOB] * 21}, "addresses"),
        ({"addresses": ["   "]}, "addresses.0"),
        ({"addresses": [BOB], "actor": "x" * 81}, "actor"),
        ({"addresses": [BOB], "actor": "DPO\x00"}, "actor"),  # PostgreSQL refused it after the runs went
        ({"addresses": ["bob\x00@example.com"]}, "addresses.0"),
        ({"addresses": [BOB], "dryrun": True}, "dryrun"),
        ({"addresses": [BOB], "dry_run": "yes"}, "dry_run"),  # a word is no boolean on a route that erases
        ({"addresses": ["0151 0000 0300"]}, "addresses"),  # matches no number: done, having found nothing
    ):
        refused = await as_key(api, keys["admin"], "POST", "/v1/customers/erasures", body)
        assert refused.status == 422, (body, refused.body)
        assert refused.body["fields"][0]["field"] == field, refused.body
    local = await as_key(
        api,
        keys["admin"],
        "POST",
        "/v1/customers/search",
        {"addresses": ["0151 0000 0300", "(415) 555-0100"]},
    )
    assert local.status == 200
    first, second = local.body["notes"]
    assert first.startswith("addresses[0] is no international number"), first
    assert second.startswith("addresses[1] was read both as a chat handle and as an international"), second
    assert "415" not in first + second  # notes are kept on an erasure's record: no address in them


async def test_two_people_are_never_one_customer_and_one_is_found_in_any_form(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """Addresses were case-folded (straße@ found strasse@'s mail) and every string of digits read as
    a phone number (a chat handle's conversation erased with a caller's); a decomposed ü and a
    display-name form found nothing, with no note (helper-113)."""
    tenant = tenants["acme"]
    keys = await keys_by_role(settings, tenant)
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        sends = (
            ("sz-1", "straße@example.de", "email"),
            ("ss-1", "strasse@example.de", "email"),
            ("chat-num", "14155550100", "chat"),
            ("sms-num", "+1 415 555 0100", "sms"),
            ("umlaut", "jürgen@bücher.de", "email"),
        )
        for conversation, sender, channel in sends:
            sent = await api.post_message(conversation, "m-1", "Hello", sender=sender, channel=channel)
            assert sent.status == 201, sent.body

        async def found(*addresses: str) -> list[str]:
            reply = await as_key(
                api, keys["admin"], "POST", "/v1/customers/search", {"addresses": list(addresses)}
            )
            assert reply.status == 200, reply.body
            return [c["conversation_id"] for c in reply.body["conversations"]]

        assert await found("STRASSE@example.de") == ["ss-1"]
        assert await found("Straße@Example.de") == ["sz-1"]
        assert await found("+1 (415) 555-0100") == ["sms-num"]
        assert await found("14155550100") == ["chat-num", "sms-num"]  # the handle as written, and the number
        assert await found("ju\u0308rgen@bu\u0308cher.de") == ["umlaut"]
        assert await found("Jürgen Bücher <jürgen@bücher.de>") == ["umlaut"]

        erased = await as_key(
            api, keys["admin"], "POST", "/v1/customers/erasures", {"addresses": ["+1 415 555 0100"]}
        )
        assert erased.status == 201 and erased.body["conversations"] == ["sms-num"], erased.body
        assert (await api.get("chat-num")).status == 200
        # Digits alone are refused for an erasure (which they are is not said); marked, a handle's.
        unmarked = {"addresses": ["14155550100"]}
        refused = await as_key(api, keys["admin"], "POST", "/v1/customers/erasures", unmarked)
        assert refused.status == 422 and "handle:" in refused.body["message"], refused.body
        marked = {"addresses": ["handle:14155550100"]}
        handle = await as_key(api, keys["admin"], "POST", "/v1/customers/erasures", marked)
        assert handle.status == 201 and handle.body["conversations"] == ["chat-num"], handle.body


async def test_a_dry_run_says_what_an_erasure_keeps_and_the_record_keeps_it_too(
    client: Client, settings: Settings, tenants: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """The dry run listed another customer's conversation among what would go, and the kept record lost
    `written_into_others`: an auditor read an erasure that left something as complete (helper-113)."""
    tenant = tenants["acme"]
    keys = await keys_by_role(settings, tenant)
    caplog.set_level(logging.INFO, logger="convoflow.access")
    carol = {"addresses": ["carol@example.com"]}
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        assert (await api.post_message("ada-mail", "m-1", "Hi", sender=ADA)).status == 201
        into = await api.post_message("ada-mail", "m-2", "me too", sender="carol@example.com")  # in copy
        assert into.status == 200
        assert (await api.post_message("carol-1", "m-1", "Mine", sender="carol@example.com")).status == 201

        dry = await as_key(api, keys["admin"], "POST", "/v1/customers/erasures", {**carol, "dry_run": True})
        assert dry.status == 200 and dry.body["written_into_others"] == ["ada-mail"], dry.body
        erased = await as_key(api, keys["admin"], "POST", "/v1/customers/erasures", carol)
        assert erased.status == 201 and erased.body["written_into_others"] == ["ada-mail"]
        [kept] = (await as_key(api, keys["auditor"], "GET", "/v1/customers/erasures")).body["items"]
        assert kept["conversations"] == ["carol-1"] and kept["written_into_others"] == ["ada-mail"], kept
    lines = [r.getMessage() for r in caplog.records if r.name == "convoflow.access"]
    assert any("(erasure, dry run)" in line and line.endswith(": 200") for line in lines), lines
    assert any("(erasure) by key" in line and line.endswith(": 201") for line in lines), lines


async def test_an_export_no_worker_answers_for_is_a_503_and_on_record(
    client: Client, settings: Settings, tenants: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """With no worker the export's query failed as a 500, and no access line said it was tried."""
    keys = await keys_by_role(settings, tenants["acme"])
    caplog.set_level(logging.INFO, logger="convoflow.access")
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        assert (await api.post_message("nw-1", "m-1", "Hello", sender=ADA)).status == 201
    async with serve_api(client, settings, tenants) as api:
        exported = await as_key(api, keys["admin"], "POST", "/v1/customers/export", {"addresses": [ADA]})
    assert exported.status == 503 and exported.body["error"] == "export_unavailable", exported.body
    lines = [r.getMessage() for r in caplog.records if r.name == "convoflow.access"]
    assert any("(export) by key" in line and line.endswith(": 503") for line in lines), lines


async def test_the_erasures_are_paged_newest_first(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    keys = await keys_by_role(settings, tenants["acme"])
    for n in range(3):  # an erasure of a customer nothing is held of is on record too
        done = await as_key(
            api, keys["admin"], "POST", "/v1/customers/erasures", {"addresses": [f"x{n}@ex.com"]}
        )
        assert done.status == 201, done.body
    first = await as_key(api, keys["auditor"], "GET", "/v1/customers/erasures?limit=2")
    assert first.status == 200 and len(first.body["items"]) == 2 and first.body["next"]
    rest = await as_key(api, keys["auditor"], "GET", first.body["next"])
    assert len(rest.body["items"]) == 1 and rest.body["next"] is None
    times = [r["erased_at"] for r in first.body["items"] + rest.body["items"]]
    assert times == sorted(times, reverse=True)
    other = await keys_by_role(settings, tenants["globex"])
    assert (await as_key(api, other["auditor"], "GET", "/v1/customers/erasures")).body["items"] == []
