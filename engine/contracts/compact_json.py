"""A JSON object kept as its encoded text: the decision trail's records, held by every cached run.

A conversation's trail keeps, per event, the rules' decision (every rule's outcome and what it read),
the triage scores and the KPI view as JSON-like dicts. As Python dicts, lists and strings the two
entries of a one-message conversation took 30 KB of the worker's memory per cached conversation (of
~160 KB in all), for records that only queries, audits and a continue-as-new read again; encoded, they
are ~4 KB. `CompactJson` holds the encoded text and answers reads by decoding it (each read decodes
again: these reads are rare, and a cache would bring the dicts back).

On the wire nothing changes: a field of type `JsonObject` validates and serialises as the JSON object
it stands for, and its JSON schema is that of `dict[str, Any]`.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema, from_json, to_json


class CompactJson(Mapping[str, Any]):
    """An immutable JSON object stored encoded; reads return freshly decoded values."""

    __slots__ = ("_encoded",)

    def __init__(self, encoded: bytes) -> None:
        self._encoded = encoded

    @classmethod
    def of(cls, value: Mapping[str, Any]) -> CompactJson:
        """`value` encoded (itself when it already is)."""
        if isinstance(value, CompactJson):
            return value
        return cls(to_json(value))

    @property
    def size(self) -> int:
        """Bytes of the encoded text: what the object adds to a payload that carries it."""
        return len(self._encoded)

    def decoded(self) -> dict[str, Any]:
        """The object as a new dict (nested values too): the caller may change it."""
        value: dict[str, Any] = from_json(self._encoded)
        return value

    def __getitem__(self, key: str) -> Any:
        return self.decoded()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.decoded().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.decoded()

    def __iter__(self) -> Iterator[str]:
        return iter(self.decoded())

    def __len__(self) -> int:
        return len(self.decoded())

    def keys(self) -> KeysView[str]:
        return self.decoded().keys()

    def values(self) -> ValuesView[Any]:
        return self.decoded().values()

    def items(self) -> ItemsView[str, Any]:
        return self.decoded().items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CompactJson):
            return self._encoded == other._encoded or self.decoded() == other.decoded()
        if isinstance(other, Mapping):
            return self.decoded() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to dicts, which are unhashable

    def __repr__(self) -> str:
        return f"CompactJson({self.decoded()!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> CompactJson:
        return self  # immutable

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        as_dict = handler.generate_schema(dict[str, Any])
        from_dict = core_schema.no_info_after_validator_function(cls.of, as_dict)
        return core_schema.json_or_python_schema(
            json_schema=from_dict,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), from_dict]),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _as_dict, return_schema=as_dict, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema()))


def plain(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """`value` decoded once, for a reader that reads several of its keys (each read of a `CompactJson`
    decodes it whole); a plain mapping as it is."""
    return value.decoded() if isinstance(value, CompactJson) else value


def _as_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    """Serialise what a `JsonObject` field holds: encoded, or a dict assigned since validation."""
    return value.decoded() if isinstance(value, CompactJson) else dict(value)


JsonObject = Annotated[Mapping[str, Any], CompactJson]
"""A field that holds a JSON object: validated into `CompactJson`, serialised as the object. Code may
assign a plain dict to it (not validated); `DecisionEntry.compact` encodes what was assigned."""
