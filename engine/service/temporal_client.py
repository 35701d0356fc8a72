"""Connecting to Temporal the same way everywhere: API, worker, CLI and tests."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, TLSConfig
from temporalio.runtime import Runtime

from engine.service.config import Settings
from engine.service.payload_codec import data_converter_of
from engine.service.payload_keys import check_key_material, keyring_of
from workflows.conversation import search_attributes


async def connect(settings: Settings, address: str | None = None, runtime: Runtime | None = None) -> Client:
    """A client for the configured cluster, or for `address` (the embedded server's).

    Its data converter encrypts payloads per tenant (engine.service.payload_codec); the worker and
    the API both use the client's converter, so they read and write the same ciphertext.
    `runtime`: the SDK runtime (its metrics exporter) of a service process; None: the SDK's default.
    """
    tls: TLSConfig | bool = False
    if settings.temporal_tls_cert or settings.temporal_tls_ca:
        tls = TLSConfig(
            client_cert=_read(settings.temporal_tls_cert),
            client_private_key=_read(settings.temporal_tls_key),
            server_root_ca_cert=_read(settings.temporal_tls_ca),
            domain=settings.temporal_tls_server_name,
        )
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    if api_key and tls is False:
        tls = True
    target = address or settings.temporal_address or "127.0.0.1:7233"
    try:
        return await Client.connect(
            target,
            namespace=settings.temporal_namespace,
            data_converter=data_converter_of(settings),
            tls=tls,
            api_key=api_key,
            runtime=runtime,
        )
    except RuntimeError as exc:  # the SDK's "Failed client connect: ... tonic::transport::Error(...)"
        setting = " (TEMPORAL_ADDRESS)" if target == settings.temporal_address else ""
        raise RuntimeError(f"Temporal at {target}{setting} did not answer: {exc}") from None


async def connect_checked(
    settings: Settings, address: str | None = None, runtime: Runtime | None = None, *, part: bool = True
) -> Client:
    """`connect` for one whose payloads other parts open: a worker, an API (`part`: they record the
    key ids they are first to use), a CLI command that starts or signals workflows (`part=False`).
    Refused (KeyringError, naming the key id) when what it would seal no other part could open (a CLI
    command's roster signal left the assignment desk unable to read its own history)."""
    await check_key_material(settings, keyring_of(settings), part=part)
    return await connect(settings, address, runtime)


def _read(path) -> bytes | None:
    return path.read_bytes() if path else None


async def ensure_search_attributes(client: Client) -> list[str]:
    """Register the attributes the workflow upserts that the namespace lacks; returns those added.

    One attribute per call: a multi-attribute request was seen registering only the first.
    """
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    known = set(existing.custom_attributes) | set(existing.system_attributes)
    added = []
    for key in search_attributes.ALL:
        if key.name in known:
            continue
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={key.name: IndexedValueType.ValueType(int(key.indexed_value_type))},
            )
        )
        added.append(key.name)
    return added
