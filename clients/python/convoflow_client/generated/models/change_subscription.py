from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.change_subscription_events_type_0_item import ChangeSubscriptionEventsType0Item
from ..types import UNSET, Unset

T = TypeVar("T", bound="ChangeSubscription")


@_attrs_define
class ChangeSubscription:
    """What to change; one left out keeps its value. The id, the secret and the sequences stay.

    Attributes:
        url (None | str | Unset): A new receiver: the events still queued go there.
        events (list[ChangeSubscriptionEventsType0Item] | None | Unset): The event types to deliver from now on (queued
            events stay queued).
        description (None | str | Unset):
        allow_private (bool | None | Unset):
        paused (bool | None | Unset): true: events queue and none is sent (the receiver's maintenance); false: they go
            out, in
            order, each with its full retry window from its first attempt.
    """

    url: None | str | Unset = UNSET
    events: list[ChangeSubscriptionEventsType0Item] | None | Unset = UNSET
    description: None | str | Unset = UNSET
    allow_private: bool | None | Unset = UNSET
    paused: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        events: list[str] | None | Unset
        if isinstance(self.events, Unset):
            events = UNSET
        elif isinstance(self.events, list):
            events = []
            for events_type_0_item_data in self.events:
                events_type_0_item = events_type_0_item_data.value
                events.append(events_type_0_item)

        else:
            events = self.events

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        allow_private: bool | None | Unset
        if isinstance(self.allow_private, Unset):
            allow_private = UNSET
        else:
            allow_private = self.allow_private

        paused: bool | None | Unset
        if isinstance(self.paused, Unset):
            paused = UNSET
        else:
            paused = self.paused

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if url is not UNSET:
            field_dict["url"] = url
        if events is not UNSET:
            field_dict["events"] = events
        if description is not UNSET:
            field_dict["description"] = description
        if allow_private is not UNSET:
            field_dict["allow_private"] = allow_private
        if paused is not UNSET:
            field_dict["paused"] = paused

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        def _parse_events(data: object) -> list[ChangeSubscriptionEventsType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                events_type_0 = []
                _events_type_0 = data
                for events_type_0_item_data in _events_type_0:
                    events_type_0_item = ChangeSubscriptionEventsType0Item(events_type_0_item_data)

                    events_type_0.append(events_type_0_item)

                return events_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ChangeSubscriptionEventsType0Item] | None | Unset, data)

        events = _parse_events(d.pop("events", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_allow_private(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        allow_private = _parse_allow_private(d.pop("allow_private", UNSET))

        def _parse_paused(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        paused = _parse_paused(d.pop("paused", UNSET))

        change_subscription = cls(
            url=url,
            events=events,
            description=description,
            allow_private=allow_private,
            paused=paused,
        )

        return change_subscription
