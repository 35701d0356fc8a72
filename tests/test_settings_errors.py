"""A mistake in the environment is one line naming the variable as the operator wrote it, never its
value: pydantic's text named the field (`api_port`), echoed the value and linked its docs; a missing
keys file was "[Errno 2] No such file or directory" with no setting named."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from engine.api.auth import KeyStore
from engine.db.connection import open_engine
from engine.service.config import Settings
from engine.service.payload_keys import KeyringError, keyring_of
from engine.service.settings_problems import settings_problems
from engine.service.worker import build_channels
from tests.cli_run import run_cli
from tests.local_servers import refusing_port


def test_a_bad_value_names_the_variable_and_not_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVOFLOW_API_PORT", "not-a-port-s3cret")
    monkeypatch.setenv("CONVOFLOW_UPDATE_TIMEOUT_SECONDS", "-1")  # it was taken: every call timed out
    monkeypatch.setenv("CONVOFLOW_EMBEDDED_GRPC_PORT", "99999")  # taken: Temporal started, then bind() failed
    with pytest.raises(ValidationError) as refused:
        Settings()
    said = settings_problems(refused.value)
    assert said == (
        "CONVOFLOW_API_PORT: Input should be a valid integer, unable to parse string as an integer; "
        "CONVOFLOW_UPDATE_TIMEOUT_SECONDS: Input should be greater than 0; "
        "CONVOFLOW_EMBEDDED_GRPC_PORT: Input should be less than or equal to 65535"
    )


def test_a_sender_written_as_a_header_is_read_as_its_address_and_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Kept whole, `Acme Support <s@acme.example>` never matched the bare sender of our own mail
    coming back (the loop check); a list is refused naming the variable."""
    monkeypatch.setenv("CONVOFLOW_EMAIL_FROM", "Acme Support <s@acme.example>")
    settings = Settings()
    assert (settings.email_from, settings.email_from_name) == ("s@acme.example", "Acme Support")
    monkeypatch.setenv("CONVOFLOW_EMAIL_FROM", "s@acme.example, t@acme.example")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert settings_problems(refused.value).startswith("CONVOFLOW_EMAIL_FROM: must be one email address")


def test_a_key_setting_s_mistake_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^CONVOFLOW_API_KEYS entry 2: invalid tenant name ''$"):
        KeyStore.from_settings(Settings(api_keys=SecretStr("acme:key-1234567890,:key-1234567890")))
    missing = tmp_path / "keys.txt"
    with pytest.raises(ValueError, match=rf"^CONVOFLOW_API_KEYS_FILE {missing}: No such file or directory$"):
        KeyStore.from_settings(Settings(api_keys_file=missing))
    with pytest.raises(
        KeyringError, match=rf"^CONVOFLOW_PAYLOAD_KEYS_FILE {missing}: No such file or directory$"
    ):
        keyring_of(Settings(payload_keys_file=missing))


def test_the_cli_s_database_commands_name_the_variable_and_not_the_value(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVOFLOW_API_PORT", "not-a-port-s3cret")
    for command in (["db", "current"], ["key", "list"]):
        run = run_cli(capsys, command)
        assert run.returncode == 2, run
        assert "CONVOFLOW_API_PORT: Input should be a valid integer" in run.stderr
        assert "s3cret" not in run.stderr + run.stdout


def test_the_codec_server_answers_the_embedded_ui_on_the_port_it_moved_to() -> None:
    """The default origins stayed on 8233 when CONVOFLOW_EMBEDDED_UI_PORT moved the UI: its
    browser calls were refused and no payload decoded."""
    moved = Settings(embedded_ui_port=18533)
    assert moved.codec_origins() == {"http://localhost:18533", "http://127.0.0.1:18533"}
    named = Settings(codec_server_cors_origins="https://ui.example.com, http://x:1")
    assert named.codec_origins() == {"https://ui.example.com", "http://x:1"}


def test_a_cli_command_against_a_cluster_names_its_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`rules publish` or `key create` with TEMPORAL_ADDRESS and no CONVOFLOW_DATABASE_URL wrote to a
    SQLite file of the shell's directory, where no host of the cluster reads."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal:7233")
    monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CONVOFLOW_DATABASE_URL", raising=False)
    for command in (["key", "list"], ["rules", "publish", "rule_packs/default"], ["db", "upgrade"]):
        run = run_cli(capsys, command)
        assert run.returncode == 2, (command, run)
        assert "TEMPORAL_ADDRESS is set but CONVOFLOW_DATABASE_URL is not" in run.stderr, run.stderr
    assert not (tmp_path / "data").exists()


async def test_a_cluster_worker_without_a_channel_says_its_messages_go_nowhere(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A worker against a cluster with no SMTP and no gateway put every outbound message in the
    outbox table, counted it delivered and answered `delivery: delivered`, without a word."""
    caplog.set_level("WARNING", logger="convoflow.worker")
    database = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    try:
        cluster = Settings(temporal_address="temporal:7233")
        build_channels(cluster, database)
        said = [r.getMessage() for r in caplog.records]
        assert len(said) == 1 and "every outbound message goes only to the outbox table" in said[0]
        caplog.clear()
        build_channels(cluster.model_copy(update={"gateway_url": "https://gateway.example/send"}), database)
        build_channels(Settings(), database)  # `make run`: the outbox is what the walk-through reads
        assert caplog.records == []
    finally:
        await database.dispose()


@pytest.mark.parametrize("part", ["database", "temporal", "metrics port"])
def test_a_worker_that_cannot_start_names_the_setting_at_fault(tmp_path: Path, part: str) -> None:
    """An unreachable database was "[Errno 111] Connect call failed ('127.0.0.1', 38999)", Temporal a
    raw tonic::transport::Error, a busy metrics port "[Errno 98] address already in use" once the
    worker had started polling: none named the setting an operator had to mend."""
    with refusing_port() as refused:
        env = {
            **os.environ,
            "CONVOFLOW_DATA_DIR": str(tmp_path / "data"),
            "CONVOFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'convoflow.sqlite'}",
            "TEMPORAL_ADDRESS": f"127.0.0.1:{refused}",
            "CONVOFLOW_PAYLOAD_KEYS": "k1:" + base64.b64encode(bytes(range(32))).decode(),
        }
        if part == "database":
            env["CONVOFLOW_DATABASE_URL"] = f"postgresql://convoflow:s3cret@127.0.0.1:{refused}/convoflow"
        elif part == "metrics port":
            env["CONVOFLOW_WORKER_METRICS_PORT"] = str(refused)
        done = subprocess.run(
            [sys.executable, "-m", "engine.cli", "worker"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1, done
    said = done.stderr.strip().splitlines()[-1]
    expected = {
        "database": f"the database at postgresql://convoflow:***@127.0.0.1:{refused}/convoflow "
        "(CONVOFLOW_DATABASE_URL) did not answer",
        "temporal": f"Temporal at 127.0.0.1:{refused} (TEMPORAL_ADDRESS) did not answer",
        "metrics port": f"worker metrics port {refused} is already in use on 127.0.0.1 by another "
        "process: stop it or choose another CONVOFLOW_WORKER_METRICS_PORT",
    }[part]
    assert f"convoflow stopped: {expected}" in said, done.stderr
    assert "s3cret" not in done.stderr and "polling" not in done.stdout
