"""`convoflow agents add|list|presence|remove`: the API's checks and table from the shell, the desk told of
each write, and the write kept (with a warning) when Temporal cannot be reached."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from temporalio.client import Client

from engine.db.key_fingerprints import recorded_keys
from engine.db.roster import RosterStore
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.embedded_service import mark_running
from engine.service.payload_keys import keyring_of, new_key_entry
from engine.service.temporal_server import DevServer, free_port
from tests.cli_run import cli
from tests.conftest import TEST_PACKS, publish
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.test_api_agents import roster_signals


@pytest.fixture
def shell(shell: Settings) -> Settings:
    """The CLI's environment (conftest.py), with the roster test pack active for the test's tenants."""
    publish(shell, TEST_PACKS / "roster")
    return shell


async def test_add_list_presence_remove_and_the_desk_hears_each_change(
    capsys: pytest.CaptureFixture[str], shell: Settings, client: Client, tenants: dict[str, str]
) -> None:
    tenant = tenants["acme"]
    added = await cli(
        capsys, "agents", "add", "ada", "--name", "Ada Lovelace", "--team", "billing",
        "--skill", "lang:de,Product:Billing", "--channel", "email", "--channel", "chat",
        "--capacity", "email=5,chat=2", "--tenant", tenant,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"created agent ada of tenant {tenant}" and added.stderr == ""
    again = await cli(capsys, "agents", "add", "ada", "--name", "Ada", "--capacity", "3", "--tenant", tenant)
    assert again.returncode == 0 and again.stdout.startswith("replaced agent ada")

    online = await cli(capsys, "agents", "presence", "ada", "online", "--tenant", tenant)
    assert online.returncode == 0 and online.stdout.strip() == "agent ada is online"
    same = await cli(capsys, "agents", "presence", "ada", "online", "--tenant", tenant)
    assert same.stdout.strip() == "agent ada is online (it already was)"

    listed = await cli(capsys, "agents", "list", "--tenant", tenant)
    header, row = listed.stdout.splitlines()
    assert header.split() == ["ID", "PRESENCE", "NAME", "TEAMS", "SKILLS", "CHANNELS", "CAPACITY"]
    assert row.split() == ["ada", "online", "Ada", "-", "-", "all", "3"]
    other = await cli(capsys, "agents", "list", "--tenant", tenants["globex"])
    assert len(other.stdout.splitlines()) == 1, "another tenant's roster is its own"

    removed = await cli(capsys, "agents", "remove", "ada", "--tenant", tenant)
    assert removed.returncode == 0 and removed.stdout.strip() == f"removed agent ada of tenant {tenant}"
    gone = await cli(capsys, "agents", "remove", "ada", "--tenant", tenant)
    assert gone.returncode == 1 and "no agent 'ada'" in gone.stderr
    missing = await cli(capsys, "agents", "presence", "ada", "away", "--tenant", tenant)
    assert missing.returncode == 1

    # Added, replaced, online, online again (told anyway: a rerun after a warning), removed.
    assert await roster_signals(client, tenant) == ["ada"] * 5


async def test_the_cli_refuses_what_the_api_refuses_naming_the_option_and_value(
    capsys: pytest.CaptureFixture[str], shell: Settings, tenants: dict[str, str]
) -> None:
    tenant = tenants["acme"]
    base = ["agents", "add", "bob", "--name", "Bob", "--tenant", tenant]
    team = await cli(capsys, *base, "--team", "sales")
    assert team.returncode == 2
    assert "--team: team 'sales' is not a team of the active rule pack (billing, general)" in team.stderr
    skill = await cli(capsys, *base, "--skill", "lang:fr")
    assert skill.returncode == 2 and "--skill: skill 'lang:fr'" in skill.stderr
    assert "lang:de, lang:en, product:billing" in skill.stderr
    channel = await cli(capsys, *base, "--channel", "fax")
    assert channel.returncode == 2 and "--channel: channel 'fax'" in channel.stderr
    capacity = await cli(capsys, *base, "--capacity", "chat=2000")
    assert capacity.returncode == 2 and "--capacity.chat: 2000 is not between 0 and 1000" in capacity.stderr
    bad_id = await cli(capsys, "agents", "add", "a:b", "--name", "B", "--tenant", tenant)
    assert bad_id.returncode == 2 and "ID: 'a:b' does not match" in bad_id.stderr
    nobody = await cli(capsys, "agents", "add", "bob", "--name", "Bob", "--tenant", "no-such-tenant")
    assert nobody.returncode == 2 and "no tenant 'no-such-tenant'" in nobody.stderr
    assert (await cli(capsys, "agents", "list", "--tenant", tenant)).stdout.count("\n") == 1


async def test_without_temporal_the_roster_is_written_and_a_warning_says_when_the_desk_learns_it(
    capsys: pytest.CaptureFixture[str],
    shell: Settings,
    tenants: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    tenant = tenants["acme"]
    added = await cli(capsys, "agents", "add", "cy", "--name", "Cy", "--team", "general", "--tenant", tenant)
    assert added.returncode == 0 and added.stdout.startswith("created agent cy")
    assert "warning: the roster is saved" in added.stderr
    assert "when the assignment desk next reads the roster" in added.stderr
    database = database_of(shell)
    try:
        stored = await RosterStore(database).get(tenant, "cy")
    finally:
        await database.dispose()
    assert stored is not None and stored.record.teams == ["general"]


async def test_a_shell_in_another_data_directory_sends_nothing_the_service_cannot_read(
    capsys: pytest.CaptureFixture[str],
    shell: Settings,
    temporal_server: DevServer,
    tenants: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An admin shell whose data directory is not `convoflow up`'s sealed the roster signal with a
    keyring of its own (made there, or another clone's) under the same key id: the desk could never
    decrypt it and stopped answering. It sends only to the `up` of its own data directory now; the
    roster write stands, as without Temporal."""
    port = temporal_server.address.rsplit(":", 1)[1]
    monkeypatch.delenv("TEMPORAL_ADDRESS")
    monkeypatch.delenv("CONVOFLOW_PAYLOAD_KEYS")  # `make run`'s: the data directory's keyring
    monkeypatch.setenv("CONVOFLOW_EMBEDDED_GRPC_PORT", port)
    tenant = tenants["acme"]
    keyring = shell.data_dir / "payload-keys"
    for own_keyring in (False, True):
        if own_keyring:  # another clone where `make run` once ran
            keyring_of(Settings(data_dir=shell.data_dir, temporal_address=None), create=True)
        added = await cli(
            capsys, "agents", "add", f"cy{int(own_keyring)}", "--name", "Cy", "--tenant", tenant
        )
        assert added.returncode == 0 and added.stdout.startswith("created agent")
        assert f"no `convoflow up` of {shell.data_dir.resolve()} listens on port {port}" in added.stderr
        assert keyring.exists() == own_keyring, "a keyring of its own made"
    # Where its `up` runs (the marker it writes), the desk is told.
    keyring.unlink()
    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", TEST_PAYLOAD_KEYS)  # the keys the service runs with
    mark_running(shell.data_dir, int(port))
    told = await cli(capsys, "agents", "add", "cy2", "--name", "Cy", "--tenant", tenant)
    assert told.returncode == 0 and told.stderr == "", told.stderr


async def test_a_shell_with_other_key_material_under_a_known_id_signals_nothing(
    capsys: pytest.CaptureFixture[str],
    shell: Settings,
    client: Client,
    tenants: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shell with `test-1:<another key>` sealed its roster signal under test-1, where the service
    could not open it (the desk stopped at its history), while workers and APIs with the same typo
    were refused at start. It is refused the same way now: the roster write stands, with a warning
    naming the key id, and nothing unreadable reaches the desk."""
    tenant = tenants["acme"]
    assert (await cli(capsys, "agents", "add", "di", "--name", "Di", "--tenant", tenant)).stderr == ""
    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", new_key_entry("test-1"))
    added = await cli(capsys, "agents", "add", "ed", "--name", "Ed", "--tenant", tenant)
    assert added.returncode == 0 and added.stdout.startswith("created agent ed")
    assert "payload key id(s) test-1 hold another key" in added.stderr
    # A shell preparing a rotation (the new key listed last, so sealing) sealed under an id no worker
    # had, and its check recorded that id as the cluster's: refused, and nothing recorded.
    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", f"{TEST_PAYLOAD_KEYS},{new_key_entry('test-2')}")
    ahead = await cli(capsys, "agents", "add", "fay", "--name", "Fay", "--tenant", tenant)
    assert ahead.returncode == 0 and "test-2 would seal this command's payloads" in ahead.stderr
    database = database_of(shell)
    try:
        assert [key.key_id for key in await recorded_keys(database)] == ["test-1"]
    finally:
        await database.dispose()
    assert await roster_signals(client, tenant) == ["di"]


async def test_a_cli_publish_says_which_agents_a_dropped_team_leaves_idle(
    capsys: pytest.CaptureFixture[str], shell: Settings, tenants: dict[str, str], tmp_path: Path
) -> None:
    """`rules check --tenant` and the API's publish warned that the team's agents would take none of
    its conversations once the pack dropped it; `rules publish` from the shell said nothing."""
    tenant = tenants["acme"]
    added = await cli(
        capsys, "agents", "add", "ada", "--name", "Ada", "--team", "billing", "--tenant", tenant
    )
    assert added.returncode == 0, added.stderr
    renamed = tmp_path / "renamed"
    shutil.copytree(TEST_PACKS / "basic", renamed)
    for name in ("pack.yaml", "tests.yaml"):
        (renamed / name).write_text((renamed / name).read_text().replace("billing", "accounts"))
    published = await cli(capsys, "rules", "publish", str(renamed), "--tenant", tenant)
    assert published.returncode == 0, published.stderr
    assert "team 'billing' is not in this pack, yet ada" in published.stderr, published.stderr
