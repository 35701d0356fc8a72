from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.create_subscription_events_item import CreateSubscriptionEventsItem
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateSubscription")


@_attrs_define
class CreateSubscription:
    """Where to deliver which events.

    Attributes:
        url (str): https:// URL on a public address (http:// only with `allow_private`).
        events (list[CreateSubscriptionEventsItem]): The event types to deliver.
        description (str | Unset): One line, for the people who read the list. Default: ''.
        allow_private (bool | Unset): Deliver to a private address (a test receiver, an on-premises system); only for
            tenants the
            deployment permits. Default: False.
    """

    url: str
    events: list[CreateSubscriptionEventsItem]
    description: str | Unset = ""
    allow_private: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        events = []
        for events_item_data in self.events:
            events_item = events_item_data.value
            events.append(events_item)

        description = self.description

        allow_private = self.allow_private

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
                "events": events,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if allow_private is not UNSET:
            field_dict["allow_private"] = allow_private

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        url = d.pop("url")

        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = CreateSubscriptionEventsItem(events_item_data)

            events.append(events_item)

        description = d.pop("description", UNSET)

        allow_private = d.pop("allow_private", UNSET)

        create_subscription = cls(
            url=url,
            events=events,
            description=description,
            allow_private=allow_private,
        )

        return create_subscription
