from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status import Status
from ..types import UNSET, Unset

T = TypeVar("T", bound="ThreadView")


@_attrs_define
class ThreadView:
    """
    Attributes:
        thread (int):
        started_at (datetime.datetime):
        status (Status):
        closed_at (datetime.datetime | None | Unset):
        run_id (None | str | Unset): The workflow run the thread began in.
        closed_run_id (None | str | Unset): The run it closed in (its decisions).
        first_seq (int | Unset):  Default: 0.
        last_seq (int | Unset):  Default: 0.
        customer_messages (int | Unset):  Default: 0.
        agent_messages (int | Unset):  Default: 0.
        team (None | str | Unset):
        assignee (None | str | Unset):
        tags (list[str] | Unset):
        sla_breached (bool | Unset):  Default: False.
        survey (str | Unset): Its survey: none, scheduled, sent, completed, expired (also one sent and not answered when
            the next thread began), skipped (also one not sent yet then). Default: 'none'.
        rating (int | None | Unset): Its survey's answer (1-5).
    """

    thread: int
    started_at: datetime.datetime
    status: Status
    closed_at: datetime.datetime | None | Unset = UNSET
    run_id: None | str | Unset = UNSET
    closed_run_id: None | str | Unset = UNSET
    first_seq: int | Unset = 0
    last_seq: int | Unset = 0
    customer_messages: int | Unset = 0
    agent_messages: int | Unset = 0
    team: None | str | Unset = UNSET
    assignee: None | str | Unset = UNSET
    tags: list[str] | Unset = UNSET
    sla_breached: bool | Unset = False
    survey: str | Unset = "none"
    rating: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        thread = self.thread

        started_at = self.started_at.isoformat()

        status = self.status.value

        closed_at: None | str | Unset
        if isinstance(self.closed_at, Unset):
            closed_at = UNSET
        elif isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        run_id: None | str | Unset
        if isinstance(self.run_id, Unset):
            run_id = UNSET
        else:
            run_id = self.run_id

        closed_run_id: None | str | Unset
        if isinstance(self.closed_run_id, Unset):
            closed_run_id = UNSET
        else:
            closed_run_id = self.closed_run_id

        first_seq = self.first_seq

        last_seq = self.last_seq

        customer_messages = self.customer_messages

        agent_messages = self.agent_messages

        team: None | str | Unset
        if isinstance(self.team, Unset):
            team = UNSET
        else:
            team = self.team

        assignee: None | str | Unset
        if isinstance(self.assignee, Unset):
            assignee = UNSET
        else:
            assignee = self.assignee

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        sla_breached = self.sla_breached

        survey = self.survey

        rating: int | None | Unset
        if isinstance(self.rating, Unset):
            rating = UNSET
        else:
            rating = self.rating

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "thread": thread,
                "started_at": started_at,
                "status": status,
            }
        )
        if closed_at is not UNSET:
            field_dict["closed_at"] = closed_at
        if run_id is not UNSET:
            field_dict["run_id"] = run_id
        if closed_run_id is not UNSET:
            field_dict["closed_run_id"] = closed_run_id
        if first_seq is not UNSET:
            field_dict["first_seq"] = first_seq
        if last_seq is not UNSET:
            field_dict["last_seq"] = last_seq
        if customer_messages is not UNSET:
            field_dict["customer_messages"] = customer_messages
        if agent_messages is not UNSET:
            field_dict["agent_messages"] = agent_messages
        if team is not UNSET:
            field_dict["team"] = team
        if assignee is not UNSET:
            field_dict["assignee"] = assignee
        if tags is not UNSET:
            field_dict["tags"] = tags
        if sla_breached is not UNSET:
            field_dict["sla_breached"] = sla_breached
        if survey is not UNSET:
            field_dict["survey"] = survey
        if rating is not UNSET:
            field_dict["rating"] = rating

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        thread = d.pop("thread")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        status = Status(d.pop("status"))

        def _parse_closed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                closed_at_type_0 = datetime.datetime.fromisoformat(data)

                return closed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        closed_at = _parse_closed_at(d.pop("closed_at", UNSET))

        def _parse_run_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        run_id = _parse_run_id(d.pop("run_id", UNSET))

        def _parse_closed_run_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        closed_run_id = _parse_closed_run_id(d.pop("closed_run_id", UNSET))

        first_seq = d.pop("first_seq", UNSET)

        last_seq = d.pop("last_seq", UNSET)

        customer_messages = d.pop("customer_messages", UNSET)

        agent_messages = d.pop("agent_messages", UNSET)

        def _parse_team(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        team = _parse_team(d.pop("team", UNSET))

        def _parse_assignee(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        assignee = _parse_assignee(d.pop("assignee", UNSET))

        tags = cast(list[str], d.pop("tags", UNSET))

        sla_breached = d.pop("sla_breached", UNSET)

        survey = d.pop("survey", UNSET)

        def _parse_rating(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rating = _parse_rating(d.pop("rating", UNSET))

        thread_view = cls(
            thread=thread,
            started_at=started_at,
            status=status,
            closed_at=closed_at,
            run_id=run_id,
            closed_run_id=closed_run_id,
            first_seq=first_seq,
            last_seq=last_seq,
            customer_messages=customer_messages,
            agent_messages=agent_messages,
            team=team,
            assignee=assignee,
            tags=tags,
            sla_breached=sla_breached,
            survey=survey,
            rating=rating,
        )

        thread_view.additional_properties = d
        return thread_view

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
