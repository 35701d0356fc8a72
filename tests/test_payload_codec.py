"""Conversation content is encrypted in Temporal history, per tenant, with rotatable keys.

Every test here runs real conversations on the session's Temporal server and reads the raw history
the way someone with access to the cluster would: with a client that has no codec.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import WorkflowSerializationContext

from engine.api.auth import KeyStore
from engine.db.keys import TenantExists, create_key, create_tenant
from engine.service.codec_server import create_codec_app
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database
from engine.service.payload_codec import (
    KEY_ID,
    PayloadDecryptionError,
    TenantPayloadCodec,
    is_encrypted,
    tenant_of_payload,
    unseal,
)
from engine.service.payload_keys import Keyring, KeyringError, check_key_material, keyring_of, new_key_entry
from engine.service.temporal_client import connect
from engine.service.temporal_server import DevServer, free_port
from tests.api_client import ApiClient, api_key
from tests.conftest import serve_service
from tests.local_servers import serve_app
from tests.payload_keys import TEST_KEYRING

# The SDK core writes its own marker bookkeeping (patch ids, local-activity timing) without the
# codec: ids and times only, no content (the local activity's result itself is sealed).
CORE_MARKER_KEYS = {
    "id",
    "deprecated",
    "seq",
    "attempt",
    "activity_id",
    "activity_type",
    "complete_time",
    "backoff",
    "original_schedule_time",
    "activation_index",
}
SECRET_TEXT = "my IBAN is DE44 5001 0517 5407 3249 31, please refund"


def payloads_of(message: Message, search_attributes: bool = False) -> Iterator[Payload]:
    """Every Payload inside a protobuf message (history events nest them deeply): those a codec
    encodes, or (`search_attributes=True`) those of search attributes, which no codec ever sees."""
    if isinstance(message, Payload):
        yield message
        return
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        if descriptor.name == "search_attributes":
            if search_attributes:
                yield from value.indexed_fields.values()
            continue
        if descriptor.is_repeated:
            items = value.values() if descriptor.message_type.GetOptions().map_entry else value
            for item in items:
                if isinstance(item, Message):
                    yield from payloads_of(item, search_attributes)
        else:
            yield from payloads_of(value, search_attributes)


async def raw_payloads(
    temporal_server: DevServer, workflow_id: str, search_attributes: bool = False
) -> list[Payload]:
    """The history's payloads as stored, read by a client without any codec."""
    plain = await Client.connect(temporal_server.address, data_converter=pydantic_data_converter)
    history = await plain.get_workflow_handle(workflow_id).fetch_history()
    return [p for event in history.events for p in payloads_of(event, search_attributes)]


async def sealed_payloads(temporal_server: DevServer, workflow_id: str) -> list[Payload]:
    return [p for p in await raw_payloads(temporal_server, workflow_id) if is_encrypted(p)]


async def test_message_text_is_ciphertext_in_history_and_plain_through_the_codec(
    worker: None, api: ApiClient, client: Client, temporal_server: DevServer, tenants: dict[str, str]
) -> None:
    assert (await api.post_message("enc-1", "m-1", SECRET_TEXT, sender="ada@example.com")).status == 201
    stored = await raw_payloads(temporal_server, api.workflow_id("enc-1"))

    raw = b"".join(p.SerializeToString() for p in stored)
    sealed = [p for p in stored if is_encrypted(p)]
    assert len(sealed) >= 3  # the start input, the message update and its results at least
    for plain in (p for p in stored if not is_encrypted(p)):  # the SDK core's markers skip the codec
        assert json.loads(plain.data).keys() <= CORE_MARKER_KEYS, plain.data
    assert b"DE44" not in raw and b"ada@example.com" not in raw and b"refund" not in raw
    assert {tenant_of_payload(p) for p in sealed} == {tenants["acme"]}
    # Search attributes bypass codecs: they must hold no personal data (tenant, status, tags...).
    indexed = await raw_payloads(temporal_server, api.workflow_id("enc-1"), search_attributes=True)
    assert indexed and not any(b"ada@" in p.data or b"DE44" in p.data for p in indexed)

    codec = client.data_converter.payload_codec
    assert codec is not None
    decoded = b"".join(p.data for p in await codec.decode(stored))
    assert SECRET_TEXT.encode() in decoded and b"ada@example.com" in decoded
    assert (await api.get("enc-1")).body["customer_messages"] == 1  # the service reads it back


async def test_each_tenant_has_its_own_key(
    worker: None, api: ApiClient, temporal_server: DevServer, tenants: dict[str, str]
) -> None:
    assert (await api.post_message("t-1", "m-1", SECRET_TEXT, tenant="acme")).status == 201
    assert (await api.post_message("t-1", "m-1", SECRET_TEXT, tenant="globex")).status == 201
    acme = (await sealed_payloads(temporal_server, api.workflow_id("t-1", "acme")))[0]
    globex = (await sealed_payloads(temporal_server, api.workflow_id("t-1", "globex")))[0]
    assert unseal(TEST_KEYRING, acme).data and unseal(TEST_KEYRING, globex).data  # each opens with its key
    assert TEST_KEYRING.encrypting_key(tenants["acme"]) != TEST_KEYRING.encrypting_key(tenants["globex"])

    # The same master key id, but each tenant's derived key: globex's key does not open acme's payload.
    assert acme.metadata[KEY_ID] == globex.metadata[KEY_ID]
    forged = Payload()
    forged.CopyFrom(acme)
    forged.metadata["convoflow-tenant"] = tenants["globex"].encode()
    with pytest.raises(PayloadDecryptionError):
        unseal(TEST_KEYRING, forged)
    # ... nor does a worker of globex's workflow accept it.
    globex_codec = TenantPayloadCodec(TEST_KEYRING, tenants["globex"])
    with pytest.raises(PayloadDecryptionError):
        await globex_codec.decode([acme])


async def test_rotation_old_payloads_still_decrypt_and_new_ones_use_the_new_key(
    settings: Settings, temporal_server: DevServer, tenants: dict[str, str]
) -> None:
    old, new = new_key_entry("old"), new_key_entry("new")
    before = settings.model_copy(update={"payload_keys": SecretStr(old)})
    after = settings.model_copy(update={"payload_keys": SecretStr(f"{old},{new}")})
    workflow_id = f"conversation:{tenants['acme']}:rot-1"

    async with serve_service(await connect(before), before, tenants) as api:
        assert (await api.post_message("rot-1", "m-1", "first")).status == 201
    first = await sealed_payloads(temporal_server, workflow_id)
    assert {p.metadata[KEY_ID] for p in first} == {b"old"}

    # A fresh worker replays the whole history (old-key payloads) before taking the new message.
    async with serve_service(await connect(after), after, tenants) as api:
        assert (await api.post_message("rot-1", "m-2", "second")).status == 200  # an existing one
        assert (await api.get("rot-1")).body["customer_messages"] == 2
    later = (await sealed_payloads(temporal_server, workflow_id))[len(first) :]
    assert later and {p.metadata[KEY_ID] for p in later} == {b"new"}

    # Without the old key the old payloads are unreadable: dropping a key too early is visible.
    only_new = Keyring.parse((new, "test"))
    with pytest.raises(PayloadDecryptionError, match="'old' is not in the keyring"):
        unseal(only_new, first[0])


async def test_a_tenant_key_of_its_own_takes_over_from_the_derived_one(tenants: dict[str, str]) -> None:
    own = new_key_entry("acme-1")
    keyring = Keyring.parse((f"{new_key_entry('m-1')},{tenants['acme']}/{own}", "test"))
    codec = TenantPayloadCodec(keyring).with_context(_context(f"conversation:{tenants['acme']}:x"))
    [sealed] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"hi"')])
    assert sealed.metadata[KEY_ID] == b"acme-1"
    [plain] = await codec.decode([sealed])
    assert plain.data == b'"hi"'


def _context(workflow_id: str) -> WorkflowSerializationContext:
    return WorkflowSerializationContext(namespace="default", workflow_id=workflow_id)


def test_a_cluster_without_a_keyring_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="CONVOFLOW_PAYLOAD_KEYS"):
        keyring_of(Settings(temporal_address="temporal:7233", data_dir=tmp_path))
    off = Settings(temporal_address="temporal:7233", data_dir=tmp_path, payload_encryption=False)
    assert keyring_of(off) is None


def test_make_run_generates_a_private_development_keyring_once(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(KeyringError, match="`convoflow up` makes it in its data directory"):
        keyring_of(Settings(data_dir=elsewhere))  # only `up` makes one: a command elsewhere reads it
    assert not elsewhere.exists()
    first = keyring_of(Settings(data_dir=tmp_path), create=True)
    second = keyring_of(Settings(data_dir=tmp_path))
    assert first is not None and first == second
    assert stat.S_IMODE(os.stat(tmp_path / "payload-keys").st_mode) == 0o600


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("nocolon", "expected `keyid:base64`"),
        ("k1:" + base64.b64encode(b"short").decode(), "must be 32 bytes"),
        ("bad tenant!/k1:" + base64.b64encode(bytes(32)).decode(), "invalid tenant name"),
        (
            "k1:" + base64.b64encode(bytes(32)).decode() + ",k1:" + base64.b64encode(bytes(32)).decode(),
            "unique",
        ),
    ],
)
def test_a_bad_keyring_names_the_entry_and_never_the_key(entry: str, problem: str) -> None:
    with pytest.raises(KeyringError, match=problem) as raised:
        Keyring.parse((entry, "CONVOFLOW_PAYLOAD_KEYS"))
    for secret in entry.split(":")[1:]:
        assert secret.split(",")[0] not in str(raised.value)


async def _codec_post(url: str, path: str, body: object, key: str | None, origin: str | None = None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if origin:
        headers["Origin"] = origin
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + path, json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.json(), dict(resp.headers)


async def test_codec_server_decodes_only_for_readers_of_the_payloads_tenant(
    worker: None, api: ApiClient, settings: Settings, temporal_server: DevServer, tenants: dict[str, str]
) -> None:
    assert (await api.post_message("cs-1", "m-1", SECRET_TEXT)).status == 201
    stored = await sealed_payloads(temporal_server, api.workflow_id("cs-1"))
    body = json_format.MessageToDict(Payloads(payloads=stored))
    database = database_of(settings)
    try:
        for tenant in tenants.values():
            with contextlib.suppress(TenantExists):  # settings keys may have created it already
                await create_tenant(database, tenant)
        _, auditor = await create_key(database, tenants["acme"], "auditor")
        _, integrator = await create_key(database, tenants["acme"], "integrator")
        _, other_admin = await create_key(database, tenants["globex"], "admin")
    finally:
        await database.dispose()
    app = create_codec_app(settings, TEST_KEYRING, KeyStore.from_settings(settings))
    async with serve_app(app) as server:
        url = str(server.make_url("")).rstrip("/")
        for key in (auditor, api_key(tenants["acme"])):  # a database auditor key, a settings (admin) key
            status, answer, _ = await _codec_post(url, "/decode", body, key)
            assert status == 200
            texts = b"".join(p.data for p in json_format.ParseDict(answer, Payloads()).payloads)
            assert SECRET_TEXT.encode() in texts

        status, answer, _ = await _codec_post(url, "/decode", body, None)
        assert status == 401 and answer["fields"][0]["field"] == "Authorization"
        status, answer, _ = await _codec_post(url, "/decode", body, "not-a-key")
        assert status == 401
        status, answer, _ = await _codec_post(url, "/decode", body, integrator)
        assert status == 403 and "auditor" in answer["message"]
        status, answer, _ = await _codec_post(url, "/decode", body, other_admin)
        assert status == 403 and answer["fields"][0]["field"] == "payloads[0]"
        assert SECRET_TEXT not in str(answer)

        status, answer, _ = await _codec_post(url, "/decode", {"payloads": "x"}, auditor)
        assert status == 422 and answer["fields"][0]["field"] == "payloads"
        garbage = json_format.MessageToDict(Payloads(payloads=[stored[0], Payload()]))
        garbage["payloads"][1] = {**garbage["payloads"][0], "data": "c2hvcnQ="}  # truncated ciphertext
        status, answer, _ = await _codec_post(url, "/decode", garbage, auditor)
        assert status == 422 and answer["fields"][0]["field"] == "payloads[1]"

        # /encode seals for the caller's tenant; /decode of the result gives the original back.
        plain = {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "ImhpIg=="}]}
        status, sealed, _ = await _codec_post(url, "/encode", plain, auditor)
        assert status == 200 and sealed != plain
        status, opened, _ = await _codec_post(url, "/decode", sealed, auditor)
        assert status == 200 and opened == plain

        # CORS for the configured Web UI origin only.
        _, _, headers = await _codec_post(url, "/decode", body, auditor, origin="http://localhost:8233")
        assert headers["Access-Control-Allow-Origin"] == "http://localhost:8233"
        _, _, headers = await _codec_post(url, "/decode", body, auditor, origin="https://evil.example")
        assert "Access-Control-Allow-Origin" not in headers
        async with aiohttp.ClientSession() as session:
            preflight = {"Origin": "http://localhost:8233", "Access-Control-Request-Method": "POST"}
            async with session.options(url + "/decode", headers=preflight) as resp:
                assert resp.status == 204
                assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]


def _codec_server_process(env: dict[str, str]) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONVOFLOW_", "TEMPORAL_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "codec-server"],
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_the_codec_server_command_answers_with_the_development_key(tmp_path: Path) -> None:
    keyring_of(Settings(data_dir=tmp_path), create=True)  # `convoflow up` runs beside it
    port = free_port()
    process = _codec_server_process(
        {"CONVOFLOW_DATA_DIR": str(tmp_path), "CONVOFLOW_CODEC_SERVER_PORT": str(port)}
    )
    try:
        assert process.stdout is not None
        banner = await asyncio.to_thread(process.stdout.readline)
        assert f"127.0.0.1:{port}" in banner, banner
        dev_key = (await asyncio.to_thread(process.stdout.readline)).rsplit(" ", 1)[1].strip()
        url = f"http://127.0.0.1:{port}"
        status, _, _ = await _codec_post(url, "/decode", {"payloads": []}, None)
        assert status == 401
        status, answer, _ = await _codec_post(url, "/decode", {"payloads": []}, dev_key)
        assert (status, answer) == (200, {"payloads": []})
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.to_thread(process.wait, 30)
    assert process.returncode == 0


async def test_the_codec_server_command_refuses_a_cluster_without_a_keyring(tmp_path: Path) -> None:
    process = _codec_server_process(
        {"CONVOFLOW_DATA_DIR": str(tmp_path), "TEMPORAL_ADDRESS": "temporal:7233"}
    )
    output, _ = await asyncio.to_thread(process.communicate, None, 60)
    assert process.returncode == 1
    assert "CONVOFLOW_PAYLOAD_KEYS" in output


def test_the_embedded_web_ui_is_handed_the_codec_endpoint_when_one_is_set() -> None:
    endpoint = "http://127.0.0.1:8234"
    command = DevServer(db_file=None, ui_codec_endpoint=endpoint).command()
    assert command[command.index("--ui-codec-endpoint") + 1] == endpoint
    assert "--ui-codec-endpoint" not in DevServer(db_file=None).command()


async def test_a_rolling_rotation_lists_the_new_key_everywhere_before_it_seals(
    tenants: dict[str, str],
) -> None:
    """Restarted one by one with `old,new`, the first restarted part sealed under `new` at once and
    the parts not yet restarted could not open it (the API answered 503 after 20 s, the workers'
    tasks failed). With the old key still sealing, every part opens what every other writes."""
    old, new = new_key_entry("old"), new_key_entry("new")
    context = _context(f"conversation:{tenants['acme']}:r-1")
    not_yet = TenantPayloadCodec(Keyring.parse((old, "test"))).with_context(context)
    listed = TenantPayloadCodec(Keyring.parse((f"{old},{new}", "test"), sealing="old")).with_context(context)
    switched = TenantPayloadCodec(Keyring.parse((f"{old},{new}", "test"))).with_context(context)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'"hi"')
    [sealed] = await listed.encode([plain])
    assert sealed.metadata[KEY_ID] == b"old" and (await not_yet.decode([sealed]))[0].data == b'"hi"'
    [later] = await switched.encode([plain])  # step two, once every part lists `new`
    assert later.metadata[KEY_ID] == b"new" and (await listed.decode([later]))[0].data == b'"hi"'
    with pytest.raises(KeyringError, match="names 'nwe', which is not a master key id"):
        keyring_of(Settings(payload_keys=SecretStr(f"{old},{new}"), payload_key_sealing="nwe"))


async def test_a_tenant_s_own_key_reaches_every_part_before_it_seals(tmp_path: Path) -> None:
    """A tenant's own key sealed as soon as a part listed it (`acme/a2`, the setting named masters
    only): the first part restarted with it sealed acme's payloads under a2, which the parts not yet
    restarted could not open. It is refused at start as a master is, and the setting pins a tenant's
    present key (`acme/a1`, or a master's id for a tenant's first own key) while it rolls out."""
    base = Settings(
        database_url=SecretStr(f"sqlite:///{tmp_path / 'control.db'}"),
        data_dir=tmp_path,
        temporal_address="127.0.0.1:7233",  # a cluster's part (nothing is asked of it here)
    )
    await prepare_database(base)
    k1, a1, a2 = new_key_entry("k1"), "acme/" + new_key_entry("a1"), "acme/" + new_key_entry("a2")
    running = base.model_copy(update={"payload_keys": SecretStr(f"{k1},{a1}")})
    await check_key_material(running, keyring_of(running))
    at_once = base.model_copy(update={"payload_keys": SecretStr(f"{k1},{a1},{a2}")})
    with pytest.raises(KeyringError, match="payload key id a2 would seal this part's payloads"):
        await check_key_material(at_once, keyring_of(at_once))
    listed = at_once.model_copy(update={"payload_key_sealing": "acme/a1"})
    await check_key_material(listed, keyring_of(listed))  # step one: listed everywhere, a1 still seals
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'"hi"')
    acme = _context("conversation:acme:r-1")
    [sealed] = await TenantPayloadCodec(keyring_of(listed)).with_context(acme).encode([plain])
    not_yet = TenantPayloadCodec(keyring_of(running)).with_context(acme)
    assert sealed.metadata[KEY_ID] == b"a1" and (await not_yet.decode([sealed]))[0].data == b'"hi"'
    await check_key_material(at_once, keyring_of(at_once))  # step two: a2 is known, it may seal
    [later] = await TenantPayloadCodec(keyring_of(at_once)).with_context(acme).encode([plain])
    assert later.metadata[KEY_ID] == b"a2"

    # A tenant's first own key: the key derived from the master seals until every part lists it.
    b1 = "globex/" + new_key_entry("b1")
    first_own = at_once.model_copy(update={"payload_keys": SecretStr(f"{k1},{a1},{a2},{b1}")})
    with pytest.raises(KeyringError, match="payload key id b1 would seal"):
        await check_key_material(first_own, keyring_of(first_own))
    pinned = first_own.model_copy(update={"payload_key_sealing": "globex/k1"})
    await check_key_material(pinned, keyring_of(pinned))
    globex = _context("conversation:globex:r-1")
    [derived] = await TenantPayloadCodec(keyring_of(pinned)).with_context(globex).encode([plain])
    assert derived.metadata[KEY_ID] == b"k1"
    before = TenantPayloadCodec(keyring_of(at_once)).with_context(globex)
    assert (await before.decode([derived]))[0].data == b'"hi"'
    for wrong, said in [
        ("acme/b1", "neither a key of tenant acme nor a master key id"),
        ("k1,acme/a1,acme/a2", "names tenant acme twice"),
        ("k1,a1", "names 2 master key ids"),
    ]:
        with pytest.raises(KeyringError, match=said):
            keyring_of(first_own.model_copy(update={"payload_key_sealing": wrong}))


async def test_a_part_with_other_key_material_under_a_known_id_is_refused_at_start(tmp_path: Path) -> None:
    """A host started with `k1:<another key>` sealed a first message no other part could open: the
    conversation stayed unreadable on every host, and that host's /readyz said ready."""
    base = Settings(database_url=SecretStr(f"sqlite:///{tmp_path / 'control.db'}"), data_dir=tmp_path)
    await prepare_database(base)
    first = base.model_copy(update={"payload_keys": SecretStr(new_key_entry("k1"))})
    await check_key_material(first, keyring_of(first))
    await check_key_material(first, keyring_of(first))  # the same keys again: fine
    other = base.model_copy(update={"payload_keys": SecretStr(new_key_entry("k1"))})
    with pytest.raises(KeyringError, match="payload key id\\(s\\) k1 hold another key"):
        await check_key_material(other, keyring_of(other))
    grown = base.model_copy(
        update={"payload_keys": SecretStr(f"{first.payload_keys.get_secret_value()},{new_key_entry('k2')}")}
    )
    await check_key_material(grown, keyring_of(grown))  # a new id is recorded, not refused


async def test_a_cluster_part_that_would_seal_with_a_key_no_other_part_has_is_refused(tmp_path: Path) -> None:
    """A part restarted with `k1,k2` (the new key last, so sealing) while the others ran with k1
    started, sealed a new conversation under k2, and every call on it answered 503 until the
    workers got k2. Refused at start, recording nothing; README's two steps pass."""
    base = Settings(
        database_url=SecretStr(f"sqlite:///{tmp_path / 'control.db'}"),
        data_dir=tmp_path,
        temporal_address="127.0.0.1:7233",  # a cluster's part (nothing is asked of it here)
    )
    await prepare_database(base)
    k1, k2 = new_key_entry("k1"), new_key_entry("k2")
    running = base.model_copy(update={"payload_keys": SecretStr(k1)})
    await check_key_material(running, keyring_of(running))  # a fresh cluster's first key seals
    at_once = base.model_copy(update={"payload_keys": SecretStr(f"{k1},{k2}")})
    with pytest.raises(KeyringError, match="payload key id k2 would seal this part's payloads, and no other"):
        await check_key_material(at_once, keyring_of(at_once))
    with pytest.raises(KeyringError):  # refused again: the refusal recorded nothing
        await check_key_material(at_once, keyring_of(at_once))
    listed = at_once.model_copy(update={"payload_key_sealing": "k1"})
    await check_key_material(listed, keyring_of(listed))  # step one: listed everywhere, k1 still seals
    await check_key_material(at_once, keyring_of(at_once))  # step two: k2 is known, it may seal
