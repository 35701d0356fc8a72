"""The local CRM store on SQLite and on PostgreSQL: tenant-scoped lookups, write-backs applied once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.crm import LocalCrm
from engine.contracts.crm import CrmWrite, CustomerQuery


@pytest.fixture
async def crm(database: AsyncEngine, tmp_path: Path) -> LocalCrm:
    store = LocalCrm(database)
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(
        "id,email,phone,external_id,name,first_name,tier,lifetime_value,language,plan\n"
        "cus-1,Ada@Example.com,+4930111,EXT-1,Ada Lovelace,Ada,vip,4800,de,beta\n"
        "cus-2,bob@example.com,,,Bob,,free,,,\n"
    )
    assert await store.import_csv("acme", csv_file) == 2
    return store


async def test_lookup_by_each_key_case_insensitively_and_only_in_its_tenant(crm: LocalCrm) -> None:
    for query in (
        CustomerQuery(tenant="acme", email="ada@EXAMPLE.com"),
        CustomerQuery(tenant="acme", phone="+4930111"),
        CustomerQuery(tenant="acme", external_id="ext-1"),
    ):
        found = await crm.lookup(query)
        assert found is not None and found.id == "cus-1", query
        assert found.first_name == "Ada" and found.lifetime_value == 4800.0
        assert found.tier == "vip" and found.language == "de" and found.custom == {"plan": "beta"}
    assert await crm.lookup(CustomerQuery(tenant="globex", email="ada@example.com")) is None
    assert await crm.lookup(CustomerQuery(tenant="acme", email="nobody@example.com")) is None
    bob = await crm.lookup(CustomerQuery(tenant="acme", email="bob@example.com"))
    assert bob is not None and bob.custom == {} and bob.lifetime_value is None


async def test_reimport_replaces_and_a_bad_line_changes_nothing(crm: LocalCrm, tmp_path: Path) -> None:
    again = tmp_path / "again.csv"
    again.write_text("id,email,tier\ncus-2,bob@example.com,pro\n")
    assert await crm.import_csv("acme", again) == 1
    bob = await crm.lookup(CustomerQuery(tenant="acme", email="bob@example.com"))
    assert bob is not None and bob.tier == "pro"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,email,lifetime_value\ncus-3,c@example.com,1\ncus-4,d@example.com,lots\n")
    with pytest.raises(ValueError, match=r"bad\.csv:3"):
        await crm.import_csv("acme", bad)
    assert await crm.lookup(CustomerQuery(tenant="acme", email="c@example.com")) is None


async def test_concurrent_writes_with_one_key_apply_once(crm: LocalCrm) -> None:
    change = CrmWrite(
        tenant="acme", customer_id="cus-1", idempotency_key="conv-1:note", note="VIP conversation opened"
    )
    results = await asyncio.gather(*(crm.write(change) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert await crm.notes("acme", "cus-1") == ["VIP conversation opened"]
    assert await crm.notes("globex", "cus-1") == []


async def test_writes_change_columns_known_fields_and_custom_fields(crm: LocalCrm) -> None:
    writes = {"tier": "gold", "first_name": "Augusta", "last_contact_channel": "email"}
    for n, (field, value) in enumerate(writes.items()):
        assert await crm.write(
            CrmWrite(tenant="acme", customer_id="cus-1", idempotency_key=f"k-{n}", field=field, value=value)
        )
    found = await crm.lookup(CustomerQuery(tenant="acme", external_id="EXT-1"))
    assert found is not None and found.tier == "gold" and found.first_name == "Augusta"
    assert found.custom == {"plan": "beta", "last_contact_channel": "email"}
    assert await crm.lookup_custom("acme", "cus-1") == found.custom
    unknown = CrmWrite(tenant="acme", customer_id="nobody", idempotency_key="k-x", field="tier", value="x")
    assert await crm.write(unknown) is True
    assert await crm.lookup_custom("acme", "nobody") == {}
