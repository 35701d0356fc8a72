"""Large payloads are deflated before they are sealed: less worker memory and history, same content.

The flag that says a payload is deflated is bound into the AES-GCM associated data, so it cannot be
removed or added without the payload failing to open; payloads sealed without it open as before.
"""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from engine.service.config import Settings
from engine.service.payload_codec import (
    COMPRESSION,
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

# A rule pack's worth of JSON: what a conversation records when it loads its pack.
RULES = [{"id": f"rule-{i}", "when": {"in": ["refund", {"var": "text"}]}} for i in range(80)]
LARGE = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({"rules": RULES}).encode())
SMALL = Payload(metadata={"encoding": b"json/plain"}, data=b'{"seq": 3}')


async def test_a_conversations_large_payloads_are_stored_deflated_and_read_back_whole(
    worker: None, api: ApiClient, client: Client, temporal_server: DevServer
) -> None:
    assert (await api.post_message("zip-1", "m-1", SECRET_TEXT, sender="ada@example.com")).status == 201
    stored = await raw_payloads(temporal_server, api.workflow_id("zip-1"))
    deflated = [p for p in stored if p.metadata.get(COMPRESSION) == ZLIB]
    assert deflated, "no payload of a first message was deflated (the recorded pack is ~14 KB)"

    codec = client.data_converter.payload_codec
    assert codec is not None
    opened = await codec.decode(deflated)
    # Stored smaller than what they hold, and what they hold is the service's own JSON again.
    assert sum(len(p.data) for p in deflated) < sum(len(p.SerializeToString()) for p in opened)
    for payload in opened:
        json.loads(payload.data)
    assert b"refund" not in b"".join(p.data for p in stored)  # still sealed: the text never shows
    assert (await api.get("zip-1")).body["customer_messages"] == 1


def test_only_payloads_that_shrink_are_deflated_and_both_kinds_open() -> None:
    large, small = seal(TEST_KEYRING, LARGE, "acme"), seal(TEST_KEYRING, SMALL, "acme")
    assert large.metadata[COMPRESSION] == ZLIB and len(large.data) < len(LARGE.data)
    assert COMPRESSION not in small.metadata
    assert unseal(TEST_KEYRING, large) == LARGE and unseal(TEST_KEYRING, small) == SMALL


def test_with_compression_off_payloads_are_sealed_as_older_versions_read_them() -> None:
    plain = seal(TEST_KEYRING, LARGE, "acme", compress=False)
    assert COMPRESSION not in plain.metadata and len(plain.data) > len(LARGE.data)
    assert unseal(TEST_KEYRING, plain) == LARGE


async def test_the_compression_setting_reaches_the_clients_codec() -> None:
    off = data_converter_of(Settings(payload_keys=SecretStr(TEST_PAYLOAD_KEYS), payload_compression=False))
    on = data_converter_of(Settings(payload_keys=SecretStr(TEST_PAYLOAD_KEYS)))
    assert off.payload_codec is not None and on.payload_codec is not None
    [without] = await off.payload_codec.encode([LARGE])
    [with_it] = await on.payload_codec.encode([LARGE])
    assert COMPRESSION not in without.metadata and with_it.metadata[COMPRESSION] == ZLIB
    assert await on.payload_codec.decode([without]) == await off.payload_codec.decode([with_it]) == [LARGE]


@pytest.mark.parametrize("flag", [None, b"gzip", b""])
def test_a_deflated_payload_whose_flag_was_changed_does_not_open(flag: bytes | None) -> None:
    forged = Payload()
    forged.CopyFrom(seal(TEST_KEYRING, LARGE, "acme"))
    if flag is None:
        del forged.metadata[COMPRESSION]
    else:
        forged.metadata[COMPRESSION] = flag
    with pytest.raises(PayloadDecryptionError, match="does not decrypt"):
        unseal(TEST_KEYRING, forged)


def test_a_payload_inflating_past_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = seal(TEST_KEYRING, LARGE, "acme")
    monkeypatch.setattr("engine.service.payload_codec.MAX_INFLATED", len(LARGE.data) // 2)
    with pytest.raises(PayloadDecryptionError, match="does not decrypt"):
        unseal(TEST_KEYRING, sealed)
