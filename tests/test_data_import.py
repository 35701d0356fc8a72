"""`convoflow db import`: a data directory from before the database, moved in, twice without harm."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from activities.local_crm import LocalCrm
from engine.contracts.crm import CustomerQuery
from engine.db.connection import open_engine, upgrade
from engine.db.packs import PackStore
from engine.service.data_import import import_data_dir
from engine.service.pack_files import load_valid
from tests.cli_run import run_cli
from tests.conftest import TEST_PACKS

KEY = "conversation:acme:c-1:01a2:1:0"


def old_data_dir(root: Path) -> str:
    """The files the service wrote before the control-plane database; returns the active hash."""
    packs = root / "rule_packs"
    packs.mkdir(parents=True)
    pack = load_valid(TEST_PACKS / "basic")
    (packs / f"{pack.content_hash}.json").write_text(json.dumps(pack.canonical()))
    (packs / "active").write_text(pack.content_hash + "\n")
    published = {"hash": pack.content_hash, "published_at": "2026-11-01T09:00:00+00:00"}
    (packs / "published.jsonl").write_text(json.dumps(published) + "\n")
    ledger = sqlite3.connect(root / "deliveries.sqlite")
    ledger.execute("CREATE TABLE delivered (key TEXT PRIMARY KEY, adapter TEXT NOT NULL, at TEXT NOT NULL)")
    ledger.execute("INSERT INTO delivered VALUES (?, 'outbox', '2026-11-01T09:00:01+00:00')", (KEY,))
    ledger.commit()
    ledger.close()
    crm = sqlite3.connect(root / "crm.sqlite")
    crm.executescript("""
        CREATE TABLE customers (tenant TEXT NOT NULL, id TEXT NOT NULL, email TEXT, phone TEXT,
            external_id TEXT, name TEXT, first_name TEXT, tier TEXT, lifetime_value REAL, language TEXT,
            custom TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (tenant, id));
        CREATE TABLE writes (key TEXT PRIMARY KEY, tenant TEXT, customer_id TEXT, field TEXT, value TEXT,
            note TEXT, at TEXT);
        INSERT INTO customers VALUES ('acme', 'cus-1', 'ada@example.com', NULL, NULL, 'Ada Lovelace', 'Ada',
            'vip', 1200.0, 'en', '{"plan": "gold"}');
        INSERT INTO writes VALUES ('conversation:acme:c-1:01a2:2:0', 'acme', 'cus-1', 'tier', '"vip"', NULL,
            '2026-11-01T09:00:02+00:00');
    """)
    crm.commit()
    crm.close()
    line = {
        "idempotency_key": KEY,
        "conversation_id": "conversation:acme:c-1",
        "tenant": "acme",
        "channel": "email",
        "to": "ada@example.com",
        "kind": "auto_reply",
        "text": "We got your message.",
        "delivered_at": "2026-11-01T09:00:01+00:00",
    }
    (root / "outbox.jsonl").write_text(json.dumps(line) + "\n")
    return pack.content_hash


async def test_an_old_data_directory_moves_into_the_database_once(tmp_path: Path, database_url: str) -> None:
    active = old_data_dir(tmp_path / "old")
    engine = open_engine(database_url)
    try:
        await upgrade(engine)
        first = await import_data_dir(engine, tmp_path / "old", "acme")
        again = await import_data_dir(engine, tmp_path / "old", "acme")
        store = PackStore(engine)
        assert await store.active_hash("acme") == active
        assert (await store.get(active)).content_hash == active
        customer = await LocalCrm(engine).lookup(CustomerQuery(tenant="acme", email="ada@example.com"))
        assert customer is not None and customer.tier == "vip" and customer.first_name == "Ada"
    finally:
        await engine.dispose()
    assert first == {"packs": 1, "ledger": 1, "crm contacts": 1, "crm writes": 1, "outbox": 1}
    assert again == {"packs": 0, "ledger": 0, "crm contacts": 1, "crm writes": 0, "outbox": 0}


def test_the_cli_imports_the_configured_data_directory(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old_data_dir(tmp_path / "data")
    monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(tmp_path / "data"))
    run = run_cli(capsys, ["db", "import", "--tenant", "acme"])
    assert run.returncode == 0, run.stderr
    assert "packs 1, ledger 1, crm contacts 1, crm writes 1, outbox 1" in run.stdout
