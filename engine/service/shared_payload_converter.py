"""One pydantic payload converter per process, however many data converters temporalio builds.

temporalio builds a new DataConverter for every workflow activation it decodes and every completion
it encodes (`_CommandAwareDataConverter.create`), and again in every `dataclasses.replace` of one;
each construction calls `payload_converter_class()`. A `PydanticPayloadConverter` builds a schema
serializer and an empty cache of type adapters each time: 3.2% of a busy worker's CPU in a py-spy
profile of `bench lifecycle` (4 December 2026), spent on converters that are dropped after one
activation with their caches still cold.

The converter holds no state but that cache (an `lru_cache`, which is thread-safe), and temporalio's
own `pydantic_data_converter` is one instance shared by everything that uses it, so every
construction can hand out the same instance.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar, Self

from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import SerializationContext


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """`PydanticPayloadConverter` built once: every call of the class returns that instance."""

    _shared: ClassVar[SharedPydanticPayloadConverter | None] = None
    _building: ClassVar[threading.Lock] = threading.Lock()

    def __new__(cls) -> SharedPydanticPayloadConverter:
        shared = cls.__dict__.get("_shared")  # a subclass shares its own, not its parent's
        if shared is None:
            # Workflow activations run on the worker's thread pool: build it once, whoever asks first.
            with cls._building:
                shared = cls.__dict__.get("_shared")
                if shared is None:
                    shared = cls._unshared()
                    cls._shared = shared
        return shared

    def __init__(self) -> None:
        """Built in `__new__`; Python calls this again on every construction, which must not reset it."""

    @classmethod
    def _unshared(cls) -> Self:
        made = object.__new__(cls)
        PydanticPayloadConverter.__init__(made)
        return made

    def with_context(self, context: SerializationContext) -> Self:
        """Itself while no converter takes a context (today, always); else a copy of its own.

        temporalio's version builds the copy with `type(self)()` and then sets its converters, which
        here would change the instance every workflow and tenant shares.
        """
        converters = self.get_converters_with_context(context)
        if converters is None:
            return self
        copy = self._unshared()
        copy._set_converters(*converters)
        return copy

    def __reduce__(self) -> tuple[Any, ...]:
        """A copy or an unpickled one is the class called again: the shared instance, unchanged."""
        return (type(self), ())
