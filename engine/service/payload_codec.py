"""Encrypting every Temporal payload with AES-GCM under its tenant's key (see payload_keys for keys).

Temporal history keeps every workflow input, signal, update, activity argument and result: message
texts, addresses, names. Without a codec anyone with read access to the Temporal cluster (its
database, its Web UI, its backups) reads them. This codec seals each payload (the whole serialized
`Payload`, metadata included) with AES-256-GCM; the stored payload keeps only
`encoding: binary/encrypted`, the key id and the tenant name, so nothing about the content shows.

**Which tenant.** temporalio 1.35 hands codecs the serialization context (`WithSerializationContext`):
the worker calls `with_context` with the workflow id for workflow activations and completions, with
the workflow's id for the activities it runs, and the client does so for starts, signals, updates
and queries addressed to a workflow. Conversation workflow ids are `conversation:{tenant}:{id}`
(engine.contracts.conversation.conversation_workflow_id), so the tenant comes from the id. A payload
encoded with no context, or for a workflow id of another shape, is sealed under the deployment-wide
key (the master key derived for the empty tenant), never left in the clear.
Decoding never needs the context: the payload names its tenant and key id, and both are bound into
the AES-GCM associated data, so editing the metadata only makes decryption fail. When a context is
there and names another tenant than the payload, decoding refuses: a payload of one tenant's
conversation never feeds another tenant's workflow.

**Upgrades.** A payload without the encryption encoding passes through decode unchanged, so
histories written before encryption (tests/histories/) replay and running conversations continue.

**Compression.** The payloads of the activities in `DEFLATED_ACTIVITIES` (the rule pack a
conversation records when it loads it: the whole default pack was 14.5 KB of JSON, 5.3 KB deflated;
the part the workflow reads is what new runs record) are deflated before they
are sealed, with `convoflow-compression: zlib` in the metadata and in the associated data. The
worker's SDK core keeps every payload of a cached run, so this is ~10% of a worker's memory per open
conversation (docs/performance.md). Only those: deflating before encrypting makes a stored length
follow how much the content repeats itself, and a payload that holds text a sender chose next to
other data (a message beside the customer's record) would then answer guesses about that data to
whoever reads Temporal's database; a pack holds only what the tenant's ops published. A payload
sealed without the flag opens as before; one with it opens only on this code or later, so a cluster
upgraded worker by worker runs with `CONVOFLOW_PAYLOAD_COMPRESSION=false` until every worker (and
every `convoflow audit replay` of bundles it exported) runs this version, and is not rolled back
once it is on. Inflating stops at `MAX_INFLATED` bytes.

Failures: the data converter uses `DefaultFailureConverterWithEncodedAttributes`, so failure messages
and stack traces go through the codec too instead of sitting in history as plain text.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import zlib
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)

from engine.contracts.activities import LOAD_RULE_PACK, LOAD_WORKFLOW_PACK
from engine.service.config import Settings
from engine.service.payload_keys import Keyring, keyring_of
from engine.service.shared_payload_converter import SharedPydanticPayloadConverter

log = logging.getLogger("convoflow")

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
TENANT = "convoflow-tenant"
NONCE_BYTES = 12
COMPRESSION = "convoflow-compression"
ZLIB = b"zlib"
# Activities whose arguments and results hold no text a sender chose (see "Compression" above).
DEFLATED_ACTIVITIES = frozenset({LOAD_RULE_PACK, LOAD_WORKFLOW_PACK})
# Smaller payloads gain nothing worth a deflate of their own.
COMPRESS_FROM = 256
# Temporal refuses payloads over 2 MiB: larger ones stay as they are, so that limit still refuses
# them when they are written, rather than a deflated one passing it and never opening again.
COMPRESS_UP_TO = 2 * 1024 * 1024
MAX_INFLATED = COMPRESS_UP_TO
CONVERSATION_PREFIX = "conversation:"


OTHER_TENANT = "payload of another tenant in this workflow; refused"
"""Not a missing key: a sealed payload naming another tenant than its workflow (tampering)."""


class PayloadDecryptionError(ValueError):
    """A sealed payload that this keyring cannot (or must not) open; says which key, never content."""


def tenant_of_workflow(workflow_id: str | None) -> str:
    """The tenant in a conversation workflow id; "" for anything else (the deployment-wide key)."""
    if workflow_id and workflow_id.startswith(CONVERSATION_PREFIX):
        return workflow_id.split(":", 2)[1]
    return ""


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def tenant_of_payload(payload: Payload) -> str:
    """The tenant a sealed payload belongs to ("" for the deployment-wide key)."""
    return payload.metadata.get(TENANT, b"").decode()


def _associated_data(tenant: str, key_id: str, compression: bytes = b"") -> bytes:
    data = b"convoflow payload v1\x00" + tenant.encode() + b"\x00" + key_id.encode()
    return data + b"\x00" + compression if compression else data


def seal(keyring: Keyring, payload: Payload, tenant: str, *, compress: bool = False) -> Payload:
    """`payload` encrypted under the tenant's current key; deflated first if `compress` and that
    makes it smaller (only for payloads without text a sender chose: see "Compression")."""
    key_id, key = keyring.encrypting_key(tenant)
    nonce = os.urandom(NONCE_BYTES)
    plain = payload.SerializeToString()
    metadata = {"encoding": ENCODING, KEY_ID: key_id.encode(), TENANT: tenant.encode()}
    compression = b""
    if compress and COMPRESS_FROM <= len(plain) <= COMPRESS_UP_TO:
        packed = zlib.compress(plain, 1)  # level 1: most of the gain on JSON at a fraction of the CPU
        if len(packed) < len(plain):
            plain, compression = packed, ZLIB
            metadata[COMPRESSION] = ZLIB
    sealed = _cipher(key).encrypt(nonce, plain, _associated_data(tenant, key_id, compression))
    return Payload(metadata=metadata, data=nonce + sealed)


@lru_cache(maxsize=4096)  # as many as payload_keys.derive keeps tenant keys
def _cipher(key: bytes) -> AESGCM:
    """One AES-GCM object per key, shared: it holds only the key (each call starts from a copy of
    its context, so threads may share it), and making one took 2-3 of a seal's ~50 us in the busy
    worker (docs/performance.md "Session 16")."""
    return AESGCM(key)


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    inflated = inflater.decompress(data, MAX_INFLATED)
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise ValueError("inflates past the bound, is cut short, or has bytes after its end")
    return inflated


def unseal(keyring: Keyring, payload: Payload) -> Payload:
    """The original payload of a sealed one; PayloadDecryptionError when no configured key opens it."""
    tenant = tenant_of_payload(payload)
    key_id = payload.metadata.get(KEY_ID, b"").decode()
    key = keyring.decrypting_key(tenant, key_id)
    if key is None:
        raise PayloadDecryptionError(f"payload key {key_id!r} is not in the keyring (was it removed?)")
    compression = payload.metadata.get(COMPRESSION, b"")
    associated = _associated_data(tenant, key_id, compression)
    try:
        data = _cipher(key).decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], associated)
        if compression == ZLIB:
            data = _inflate(data)
        elif compression:
            raise ValueError("unknown compression")
        original = Payload()
        original.ParseFromString(data)
    except (InvalidTag, ValueError, DecodeError, zlib.error):  # tampered, truncated, or not ours
        raise PayloadDecryptionError(f"payload under key {key_id!r} does not decrypt") from None
    return original


def deflated(context: SerializationContext) -> bool:
    """Whether payloads in this context are deflated: an activity's in `DEFLATED_ACTIVITIES`.

    temporalio documents `activity_type` as possibly unset in some contexts: such payloads are then
    sealed without deflating, which costs memory and never safety.
    """
    return getattr(context, "activity_type", None) in DEFLATED_ACTIVITIES


class TenantPayloadCodec(PayloadCodec, WithSerializationContext):
    """The codec Temporal calls for every payload; a copy per context knows the workflow's tenant
    and whether its payloads are deflated."""

    def __init__(
        self, keyring: Keyring, tenant: str | None = None, *, compression: bool = True, compress: bool = False
    ) -> None:
        self.keyring = keyring
        self._tenant = tenant  # None: no context given (encode under the deployment-wide key)
        self._compression = compression  # the setting
        self._compress = compress  # this context's payloads

    def with_context(self, context: SerializationContext) -> TenantPayloadCodec:
        workflow_id = getattr(context, "workflow_id", None)
        return TenantPayloadCodec(
            self.keyring,
            tenant_of_workflow(workflow_id),
            compression=self._compression,
            compress=self._compression and deflated(context),
        )

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        tenant = self._tenant or ""
        return [seal(self.keyring, p, tenant, compress=self._compress) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if not is_encrypted(payload):
                decoded.append(payload)  # written before encryption: readable as it is
                continue
            owner = tenant_of_payload(payload)
            if self._tenant and owner and owner != self._tenant:
                raise PayloadDecryptionError(OTHER_TENANT)
            decoded.append(unseal(self.keyring, payload))
        return decoded


@dataclasses.dataclass(frozen=True)
class TenantDataConverter(DataConverter):
    """A DataConverter whose copy per serialization context is made once per tenant (and whether
    the context's payloads are deflated), then reused.

    The worker asks for a converter with context for every payload of every activity and local
    activity it schedules or resolves; the SDK's `with_context` builds a new DataConverter each time
    (a fresh pydantic payload converter and failure converter: ~8% of a busy worker's CPU). Only the
    codec takes the context, and it reads from it only the tenant and whether the context's
    payloads are deflated, so one copy per (tenant, deflated) is the same converter.
    """

    _per_tenant: dict[tuple[str, bool], DataConverter] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def with_context(self, context: SerializationContext) -> TenantDataConverter:
        key = (tenant_of_workflow(getattr(context, "workflow_id", None)), deflated(context))
        cached = self._per_tenant.get(key)
        if cached is None:
            cached = self._per_tenant.setdefault(key, super().with_context(context))
        return cached  # type: ignore[return-value]


def data_converter(keyring: Keyring | None, *, compress: bool = True) -> DataConverter:
    """The converter of every client: pydantic payloads, sealed per tenant when there is a keyring."""
    if keyring is None:
        return DataConverter(payload_converter_class=SharedPydanticPayloadConverter)
    return TenantDataConverter(
        payload_converter_class=SharedPydanticPayloadConverter,
        payload_codec=TenantPayloadCodec(keyring, compression=compress),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter_of(settings: Settings) -> DataConverter:
    """The settings' converter; KeyringError when a cluster deployment names no keyring."""
    keyring = keyring_of(settings)
    if keyring is None:
        log.warning(
            "PAYLOAD ENCRYPTION IS OFF (CONVOFLOW_PAYLOAD_ENCRYPTION=false): conversation content "
            "is stored in Temporal history in the clear"
        )
    return data_converter(keyring, compress=settings.payload_compression)
