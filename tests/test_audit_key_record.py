"""Every part of a cluster seals audit bundles with the one key the cluster first used.

An API replica started with another CONVOFLOW_AUDIT_KEY ran, and the bundles it exported failed
`audit verify` with the cluster's key ("not the key this bundle was sealed with"): evidence that looked
forged though nothing had changed. Such a part is now refused at start, naming the setting; a shell's
`audit export` with another key is refused before it seals; a deliberate change goes through
`convoflow db forget-audit-key`.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.audit.chain import key_fingerprint
from engine.db.audit_key_record import recorded_audit_key
from engine.service.audit_key import check_audit_key
from engine.service.config import Settings
from tests.cli_run import cli
from tests.local_servers import refusing_port

CLUSTER_KEY = "the-cluster-audit-key-0123456789"
OTHER_KEY = "a-typo-d-audit-key-0123456789xyz"
PAYLOAD_KEYS = "k1:" + base64.b64encode(bytes(range(32))).decode()


def _cluster_env(monkeypatch: pytest.MonkeyPatch, database_url: str, audit_key: str, temporal: int) -> None:
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{temporal}")
    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", PAYLOAD_KEYS)
    monkeypatch.setenv("CONVOFLOW_AUDIT_KEY", audit_key)


async def test_a_part_with_another_audit_key_is_refused_until_the_change_is_deliberate(
    database_url: str,
    database: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with refusing_port() as temporal:  # what gets past the check stops at Temporal, which does not answer
        _cluster_env(monkeypatch, database_url, CLUSTER_KEY, temporal)
        await check_audit_key(Settings())  # the cluster's first part
        assert await recorded_audit_key(database) == key_fingerprint(CLUSTER_KEY.encode())

        monkeypatch.setenv("CONVOFLOW_AUDIT_KEY", OTHER_KEY)
        other = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "engine.cli", "api"],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=60,
        )
        said = other.stderr.strip().splitlines()[-1]
        assert other.returncode == 1
        assert "CONVOFLOW_AUDIT_KEY is not the key this cluster seals audit bundles with" in said, said
        assert key_fingerprint(CLUSTER_KEY.encode()) in said and "Temporal" not in said
        assert CLUSTER_KEY not in other.stderr and OTHER_KEY not in other.stderr

        exported = await cli(capsys, "audit", "export", "c-1")
        assert exported.returncode != 0
        assert "bundles this command sealed would fail `audit verify`" in exported.stderr, exported

        forgot = await cli(capsys, "db", "forget-audit-key")
        assert forgot.returncode == 0 and "forgot the audit key's fingerprint" in forgot.stdout, forgot
        again = await cli(capsys, "audit", "export", "c-1")  # a shell records nothing
        assert "Temporal at" in again.stderr and "audit key" not in again.stderr, again
        assert await recorded_audit_key(database) is None
        await check_audit_key(Settings())  # the next part to start
        assert await recorded_audit_key(database) == key_fingerprint(OTHER_KEY.encode())
        monkeypatch.setenv("CONVOFLOW_AUDIT_KEY", CLUSTER_KEY)
        with pytest.raises(ValueError, match="this part sealed would fail"):
            await check_audit_key(Settings())

        assert (await cli(capsys, "db", "forget-audit-key")).returncode == 0
        nothing = await cli(capsys, "db", "forget-audit-key")
    assert nothing.returncode == 1 and "no audit key fingerprint is recorded" in nothing.stderr


async def test_without_an_audit_key_nothing_is_recorded(database_url: str, database: AsyncEngine) -> None:
    """A cluster that exports no bundle has no key to agree on (exports answer 503 audit_key_unset)."""
    await check_audit_key(Settings(database_url=SecretStr(database_url), temporal_address="127.0.0.1:1"))
    assert await recorded_audit_key(database) is None
