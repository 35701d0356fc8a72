from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.subscription_view_state import SubscriptionViewState
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.subscription_view_queue_type_0 import SubscriptionViewQueueType0


T = TypeVar("T", bound="SubscriptionView")


@_attrs_define
class SubscriptionView:
    """A subscription as shown (never its secrets).

    Attributes:
        id (str):
        url (str):
        events (list[str]):
        description (str):
        allow_private (bool):
        state (SubscriptionViewState):
        failing_since (None | str):
        previous_secret_retires_at (None | str):
        created_at (str):
        earlier_secrets_retire_at (list[str] | Unset):
        paused (bool | Unset):  Default: False.
        paused_at (None | str | Unset):
        queue (None | SubscriptionViewQueueType0 | Unset):
    """

    id: str
    url: str
    events: list[str]
    description: str
    allow_private: bool
    state: SubscriptionViewState
    failing_since: None | str
    previous_secret_retires_at: None | str
    created_at: str
    earlier_secrets_retire_at: list[str] | Unset = UNSET
    paused: bool | Unset = False
    paused_at: None | str | Unset = UNSET
    queue: None | SubscriptionViewQueueType0 | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.subscription_view_queue_type_0 import SubscriptionViewQueueType0  # noqa: PLC0415

        id = self.id

        url = self.url

        events = self.events

        description = self.description

        allow_private = self.allow_private

        state = self.state.value

        failing_since: None | str
        failing_since = self.failing_since

        previous_secret_retires_at: None | str
        previous_secret_retires_at = self.previous_secret_retires_at

        created_at = self.created_at

        earlier_secrets_retire_at: list[str] | Unset = UNSET
        if not isinstance(self.earlier_secrets_retire_at, Unset):
            earlier_secrets_retire_at = self.earlier_secrets_retire_at

        paused = self.paused

        paused_at: None | str | Unset
        if isinstance(self.paused_at, Unset):
            paused_at = UNSET
        else:
            paused_at = self.paused_at

        queue: dict[str, Any] | None | Unset
        if isinstance(self.queue, Unset):
            queue = UNSET
        elif isinstance(self.queue, SubscriptionViewQueueType0):
            queue = self.queue.to_dict()
        else:
            queue = self.queue

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "events": events,
                "description": description,
                "allow_private": allow_private,
                "state": state,
                "failing_since": failing_since,
                "previous_secret_retires_at": previous_secret_retires_at,
                "created_at": created_at,
            }
        )
        if earlier_secrets_retire_at is not UNSET:
            field_dict["earlier_secrets_retire_at"] = earlier_secrets_retire_at
        if paused is not UNSET:
            field_dict["paused"] = paused
        if paused_at is not UNSET:
            field_dict["paused_at"] = paused_at
        if queue is not UNSET:
            field_dict["queue"] = queue

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.subscription_view_queue_type_0 import SubscriptionViewQueueType0  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        url = d.pop("url")

        events = cast(list[str], d.pop("events"))

        description = d.pop("description")

        allow_private = d.pop("allow_private")

        state = SubscriptionViewState(d.pop("state"))

        def _parse_failing_since(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        failing_since = _parse_failing_since(d.pop("failing_since"))

        def _parse_previous_secret_retires_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        previous_secret_retires_at = _parse_previous_secret_retires_at(d.pop("previous_secret_retires_at"))

        created_at = d.pop("created_at")

        earlier_secrets_retire_at = cast(list[str], d.pop("earlier_secrets_retire_at", UNSET))

        paused = d.pop("paused", UNSET)

        def _parse_paused_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        paused_at = _parse_paused_at(d.pop("paused_at", UNSET))

        def _parse_queue(data: object) -> None | SubscriptionViewQueueType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                queue_type_0 = SubscriptionViewQueueType0.from_dict(data)

                return queue_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SubscriptionViewQueueType0 | Unset, data)

        queue = _parse_queue(d.pop("queue", UNSET))

        subscription_view = cls(
            id=id,
            url=url,
            events=events,
            description=description,
            allow_private=allow_private,
            state=state,
            failing_since=failing_since,
            previous_secret_retires_at=previous_secret_retires_at,
            created_at=created_at,
            earlier_secrets_retire_at=earlier_secrets_retire_at,
            paused=paused,
            paused_at=paused_at,
            queue=queue,
        )

        subscription_view.additional_properties = d
        return subscription_view

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
