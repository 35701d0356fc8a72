from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="EventData")


@_attrs_define
class EventData:
    """An event's `data`: what its trail entry tells of the conversation, nothing a person wrote.

    Attributes:
        channel (None | str | Unset): The conversation's channel (email, chat, whatsapp, sms, social).
        team (None | str | Unset):
        assignee (None | str | Unset): The agent holding the conversation (after an assignment: the new one).
        priority (None | str | Unset):
        from_ (None | str | Unset): A status change's previous status.
        to (None | str | Unset): A status change's new status.
        target (None | str | Unset): An SLA event's target: first_response, next_response or resolution.
        rating (int | None | Unset): A survey's rating, 1 to 5.
        sender (None | str | Unset): Who sent a customer message: customer, or automated (a machine's mail).
        agent (None | str | Unset): The agent who replied (`message.sent`).
        bounce (None | str | Unset): A delivery report's RFC 3463 status code (5.1.1), never its diagnostic text.
        message_id (None | str | Unset): The channel message id of the message the event is about: your systems hold its
            text.
        raised_by_rules (bool | None | Unset): True for an event the rules' own actions raised (a status they set).
        timer (bool | None | Unset): True for a status change a timer made (the auto-close of a pending conversation,
            the end of
            the reopen window or of a snooze), not a person or a rule.
        actor (None | str | Unset): Who made a status change or took the agent off, as the API call named them
            (`actor`); left
            out when the call named nobody.
    """

    channel: None | str | Unset = UNSET
    team: None | str | Unset = UNSET
    assignee: None | str | Unset = UNSET
    priority: None | str | Unset = UNSET
    from_: None | str | Unset = UNSET
    to: None | str | Unset = UNSET
    target: None | str | Unset = UNSET
    rating: int | None | Unset = UNSET
    sender: None | str | Unset = UNSET
    agent: None | str | Unset = UNSET
    bounce: None | str | Unset = UNSET
    message_id: None | str | Unset = UNSET
    raised_by_rules: bool | None | Unset = UNSET
    timer: bool | None | Unset = UNSET
    actor: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        channel: None | str | Unset
        if isinstance(self.channel, Unset):
            channel = UNSET
        else:
            channel = self.channel

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

        priority: None | str | Unset
        if isinstance(self.priority, Unset):
            priority = UNSET
        else:
            priority = self.priority

        from_: None | str | Unset
        if isinstance(self.from_, Unset):
            from_ = UNSET
        else:
            from_ = self.from_

        to: None | str | Unset
        if isinstance(self.to, Unset):
            to = UNSET
        else:
            to = self.to

        target: None | str | Unset
        if isinstance(self.target, Unset):
            target = UNSET
        else:
            target = self.target

        rating: int | None | Unset
        if isinstance(self.rating, Unset):
            rating = UNSET
        else:
            rating = self.rating

        sender: None | str | Unset
        if isinstance(self.sender, Unset):
            sender = UNSET
        else:
            sender = self.sender

        agent: None | str | Unset
        if isinstance(self.agent, Unset):
            agent = UNSET
        else:
            agent = self.agent

        bounce: None | str | Unset
        if isinstance(self.bounce, Unset):
            bounce = UNSET
        else:
            bounce = self.bounce

        message_id: None | str | Unset
        if isinstance(self.message_id, Unset):
            message_id = UNSET
        else:
            message_id = self.message_id

        raised_by_rules: bool | None | Unset
        if isinstance(self.raised_by_rules, Unset):
            raised_by_rules = UNSET
        else:
            raised_by_rules = self.raised_by_rules

        timer: bool | None | Unset
        if isinstance(self.timer, Unset):
            timer = UNSET
        else:
            timer = self.timer

        actor: None | str | Unset
        if isinstance(self.actor, Unset):
            actor = UNSET
        else:
            actor = self.actor

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if channel is not UNSET:
            field_dict["channel"] = channel
        if team is not UNSET:
            field_dict["team"] = team
        if assignee is not UNSET:
            field_dict["assignee"] = assignee
        if priority is not UNSET:
            field_dict["priority"] = priority
        if from_ is not UNSET:
            field_dict["from"] = from_
        if to is not UNSET:
            field_dict["to"] = to
        if target is not UNSET:
            field_dict["target"] = target
        if rating is not UNSET:
            field_dict["rating"] = rating
        if sender is not UNSET:
            field_dict["sender"] = sender
        if agent is not UNSET:
            field_dict["agent"] = agent
        if bounce is not UNSET:
            field_dict["bounce"] = bounce
        if message_id is not UNSET:
            field_dict["message_id"] = message_id
        if raised_by_rules is not UNSET:
            field_dict["raised_by_rules"] = raised_by_rules
        if timer is not UNSET:
            field_dict["timer"] = timer
        if actor is not UNSET:
            field_dict["actor"] = actor

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_channel(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        channel = _parse_channel(d.pop("channel", UNSET))

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

        def _parse_priority(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        priority = _parse_priority(d.pop("priority", UNSET))

        def _parse_from_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        from_ = _parse_from_(d.pop("from", UNSET))

        def _parse_to(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        to = _parse_to(d.pop("to", UNSET))

        def _parse_target(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        target = _parse_target(d.pop("target", UNSET))

        def _parse_rating(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rating = _parse_rating(d.pop("rating", UNSET))

        def _parse_sender(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sender = _parse_sender(d.pop("sender", UNSET))

        def _parse_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        agent = _parse_agent(d.pop("agent", UNSET))

        def _parse_bounce(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        bounce = _parse_bounce(d.pop("bounce", UNSET))

        def _parse_message_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message_id = _parse_message_id(d.pop("message_id", UNSET))

        def _parse_raised_by_rules(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        raised_by_rules = _parse_raised_by_rules(d.pop("raised_by_rules", UNSET))

        def _parse_timer(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        timer = _parse_timer(d.pop("timer", UNSET))

        def _parse_actor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        actor = _parse_actor(d.pop("actor", UNSET))

        event_data = cls(
            channel=channel,
            team=team,
            assignee=assignee,
            priority=priority,
            from_=from_,
            to=to,
            target=target,
            rating=rating,
            sender=sender,
            agent=agent,
            bounce=bounce,
            message_id=message_id,
            raised_by_rules=raised_by_rules,
            timer=timer,
            actor=actor,
        )

        return event_data
