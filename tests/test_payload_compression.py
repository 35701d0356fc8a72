"""The rule pack a conversation records is deflated before it is sealed; nothing else is.

Deflating before encrypting makes a stored length follow the content, so only payloads without text
a sender chose are deflated (engine/service/payload_codec.py "Compression"). The flag that says a
payload is deflated is bound into the AES-GCM associated data: removing, changing or adding it makes
the payload fail authentication before anything is inflated. Payloads sealed without it open as
before.
"""

from __future__ import annotations

import json
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from engine.contracts.activities import DECIDE, LOAD_RULE_PACK, LOAD_WORKFLOW_PACK
from engine.service import payload_codec
from engine.service.config import Settings
from engine.service.payload_codec import (
    COMPRESSION,
    NONCE_BYTES,
    ZLIB,
    PayloadDecryptionError,
    data_converter_of,
    seal,
    unseal,
)
from engine.service.temporal_server import DevServer
from tests.api_client import ApiClient
from tests.payload_keys import TEST_KEYRING, TEST_PAYLOAD_KEYS
from tests.test_payload_codec import SECRET_TEXT, raw_payloads

RULES = [{"id": f"rule-{i}", "when": {"in": ["refund", {"var": "text"}]}} for i in range(80)]
LARGE = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({"rules": RULES}).encode())


def _activity(activity_type: str, workflow_id: str = "conversation:acme:c-1") -> ActivitySerializationContext:
    return ActivitySerializationContext(
        namespace="default",
        activity_id="1",
        activity_type=activity_type,
        activity_task_queue="convoflow",
        workflow_id=workflow_id,
        workflow_type="ConversationWorkflow",
        is_local=True,
    )


async def test_a_conversation_stores_its_pack_deflated_and_its_messages_as_before(
    worker: None, api: ApiClient, client: Client, temporal_server: DevServer
) -> None:
    assert (await api.post_message("zip-1", "m-1", SECRET_TEXT, sender="ada@example.com")).status == 201
    stored = await raw_payloads(temporal_server, api.workflow_id("zip-1"))
    deflated = [p for p in stored if p.metadata.get(COMPRESSION) == ZLIB]
    codec = client.data_converter.payload_codec
    assert codec is not None

    # Exactly one deflated payload: the recorded pack (the part the workflow reads: 930 bytes of this
    # test pack), stored sealed in less than its plain size.
    [pack] = await codec.decode(deflated)
    assert set(json.loads(pack.data)) >= {"meta", "sla_policies", "templates"}
    assert len(deflated[0].data) < len(pack.SerializeToString())
    # Everything with the customer's words is sealed without deflating.
    opened = await codec.decode([p for p in stored if p.metadata.get("encoding") == b"binary/encrypted"])
    assert any(SECRET_TEXT.encode() in p.data for p in opened)
    assert SECRET_TEXT.encode() not in pack.data
    assert (await api.get("zip-1")).body["customer_messages"] == 1


async def test_only_the_pack_loading_activitys_payloads_are_deflated() -> None:
    codec = data_converter_of(Settings(payload_keys=SecretStr(TEST_PAYLOAD_KEYS))).payload_codec
    assert isinstance(codec, payload_codec.TenantPayloadCodec)
    contexts = {
        "pack": _activity(LOAD_RULE_PACK),
        "pack part": _activity(LOAD_WORKFLOW_PACK),
        "decision": _activity(DECIDE),
        "workflow": WorkflowSerializationContext(namespace="default", workflow_id="conversation:acme:c-1"),
    }
    flags = {}
    for name, context in contexts.items():
        [sealed] = await codec.with_context(context).encode([LARGE])
        flags[name] = sealed.metadata.get(COMPRESSION)
        assert await codec.decode([sealed]) == [LARGE]
    assert flags == {"pack": ZLIB, "pack part": ZLIB, "decision": None, "workflow": None}


async def test_with_compression_off_the_pack_is_sealed_as_older_versions_read_it() -> None:
    off = data_converter_of(Settings(payload_keys=SecretStr(TEST_PAYLOAD_KEYS), payload_compression=False))
    codec = off.with_context(_activity(LOAD_RULE_PACK)).payload_codec
    assert codec is not None
    [sealed] = await codec.encode([LARGE])
    assert COMPRESSION not in sealed.metadata
    # The associated data is the one of every version before compression existed.
    _, key = TEST_KEYRING.encrypting_key("acme")
    inner = AESGCM(key).decrypt(
        sealed.data[:NONCE_BYTES], sealed.data[NONCE_BYTES:], b"convoflow payload v1\x00acme\x00test-1"
    )
    assert Payload.FromString(inner) == LARGE


def test_a_payload_that_does_not_shrink_is_sealed_without_deflating() -> None:
    noise = Payload(metadata={"encoding": b"binary/plain"}, data=os.urandom(1024))
    small = Payload(metadata={"encoding": b"json/plain"}, data=b'{"seq": 3}')
    for payload in (noise, small):
        sealed = seal(TEST_KEYRING, payload, "acme", compress=True)
        assert COMPRESSION not in sealed.metadata
        assert unseal(TEST_KEYRING, sealed) == payload


@pytest.mark.parametrize("change", ["remove the flag", "name another method", "empty the flag", "add a flag"])
def test_a_changed_flag_fails_authentication_before_anything_is_inflated(
    change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    forged = Payload()
    forged.CopyFrom(seal(TEST_KEYRING, LARGE, "acme", compress=change != "add a flag"))
    flags = {"name another method": b"gzip", "empty the flag": b"", "add a flag": ZLIB}
    if change == "remove the flag":
        del forged.metadata[COMPRESSION]
    else:
        forged.metadata[COMPRESSION] = flags[change]
    inflated: list[bytes] = []
    monkeypatch.setattr(payload_codec, "_inflate", lambda data: inflated.append(data) or data)
    with pytest.raises(PayloadDecryptionError, match="does not decrypt"):
        unseal(TEST_KEYRING, forged)
    assert inflated == []


def test_a_payload_inflating_past_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = seal(TEST_KEYRING, LARGE, "acme", compress=True)
    monkeypatch.setattr(payload_codec, "MAX_INFLATED", len(LARGE.SerializeToString()) - 1)
    with pytest.raises(PayloadDecryptionError, match="does not decrypt"):
        unseal(TEST_KEYRING, sealed)
    monkeypatch.setattr(payload_codec, "MAX_INFLATED", len(LARGE.SerializeToString()))
    assert unseal(TEST_KEYRING, sealed) == LARGE


def test_a_payload_over_temporals_limit_is_not_deflated_past_it() -> None:
    """Temporal refuses payloads over 2 MiB when they are written; deflated, one would pass that
    check and then never open (it inflates past the bound)."""
    huge = Payload(metadata={"encoding": b"json/plain"}, data=b" " * (payload_codec.COMPRESS_UP_TO + 1))
    assert COMPRESSION not in seal(TEST_KEYRING, huge, "acme", compress=True).metadata
