"""The data converters temporalio builds for every activation share one pydantic payload converter.

temporalio makes a new DataConverter per activation and per `dataclasses.replace`; each used to build
its own pydantic converter (a schema serializer and a cold cache of type adapters), 3.2% of a busy
worker's CPU (engine/service/shared_payload_converter.py). These check that every copy the SDK makes
of our converters, with or without payload encryption, converts with the one shared instance, and
that sharing it changed nothing a payload carries.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadConverter,
    WorkflowSerializationContext,
)

from engine.contracts.conversation import InboundMessage, Party
from engine.service.payload_codec import data_converter
from engine.service.shared_payload_converter import SharedPydanticPayloadConverter
from tests.payload_keys import TEST_KEYRING

WORKFLOW = WorkflowSerializationContext(namespace="default", workflow_id="conversation:acme:c-1")
ACTIVITY = ActivitySerializationContext(
    namespace="default",
    activity_id="7",
    activity_type="decide",
    activity_task_queue="convoflow",
    workflow_id="conversation:acme:c-1",
    workflow_type="ConversationWorkflow",
    is_local=True,
)


def inner(converter: PayloadConverter) -> PayloadConverter:
    """The converter temporalio wraps for its own transfer types (the one that does the work)."""
    return getattr(converter, "_inner_payload_converter", converter)


@pytest.mark.parametrize("keyring", [None, TEST_KEYRING], ids=["plain", "encrypted"])
def test_every_copy_the_sdk_makes_converts_with_one_instance(keyring: object) -> None:
    dc = data_converter(keyring)  # type: ignore[arg-type]
    copies: list[DataConverter] = [
        dc,
        dataclasses.replace(dc),  # what `_with_store_context` and `with_context` do
        DataConverter(payload_converter_class=dc.payload_converter_class),  # `_CommandAwareDataConverter`
        dc.with_context(WORKFLOW),
        dc.with_context(ACTIVITY),
    ]
    shared = {id(inner(c.payload_converter)) for c in copies}
    assert len(shared) == 1, "a copy built its own pydantic payload converter"
    assert isinstance(inner(dc.payload_converter), SharedPydanticPayloadConverter)


def test_threads_building_it_at_once_get_the_same_instance() -> None:
    """Activations run on the worker's thread pool, so the first construction may race."""
    before = SharedPydanticPayloadConverter._shared
    SharedPydanticPayloadConverter._shared = None
    try:
        with ThreadPoolExecutor(8) as pool:
            built = list(pool.map(lambda _: SharedPydanticPayloadConverter(), range(64)))
    finally:
        SharedPydanticPayloadConverter._shared = before
    assert len({id(b) for b in built}) == 1


def test_a_copy_is_the_shared_instance_unchanged() -> None:
    """temporalio copies converters in places (`dataclasses.replace`, pickling for process pools):
    a copy must neither build another one nor change the one every workflow shares."""
    shared = SharedPydanticPayloadConverter()
    converters = list(shared.converters.values())
    assert copy.deepcopy(shared) is shared and pickle.loads(pickle.dumps(shared)) is shared
    assert list(shared.converters.values()) == converters
    assert shared.with_context(WORKFLOW) is shared  # no converter of ours takes a context


@pytest.mark.parametrize("keyring", [None, TEST_KEYRING], ids=["plain", "encrypted"])
async def test_payloads_round_trip_through_the_copies_as_before(keyring: object) -> None:
    message = InboundMessage(
        message_id="m-1",
        sender=Party(address="ada@example.com", name="Ada"),
        text="Grüße, my invoice is wrong",
        received_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
    )
    dc = data_converter(keyring)  # type: ignore[arg-type]
    writer, reader = dc.with_context(WORKFLOW), dataclasses.replace(dc).with_context(WORKFLOW)
    encoded = await writer.encode([message, 42, None])
    assert await reader.decode(encoded, [InboundMessage, int, type(None)]) == [message, 42, None]
    # The JSON inside is what temporalio's own pydantic converter writes.
    plain = dc.payload_converter.to_payloads([message])
    assert plain == pydantic_data_converter.payload_converter.to_payloads([message])
