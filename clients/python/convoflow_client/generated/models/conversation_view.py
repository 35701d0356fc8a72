from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.channel import Channel
from ..models.status import Status

if TYPE_CHECKING:
    from ..models.conversation_view_survey import ConversationViewSurvey
    from ..models.party import Party
    from ..models.sla_view import SlaView


T = TypeVar("T", bound="ConversationView")


@_attrs_define
class ConversationView:
    """
    Attributes:
        conversation_id (str):
        channel (Channel):
        status (Status):
        customer (Party):
        priority (str):
        team (None | str):
        assignee (None | str):
        language (None | str):
        tags (list[str]):
        reopened (int):
        escalation_level (int):
        sla (SlaView):
        survey (ConversationViewSurvey): The survey: `status` (none, scheduled, sent, completed, expired, skipped), its
            instants, `rating` (the answer to this survey, once completed) and `earlier_rating` (an earlier survey's answer,
            while this one has none: a reopened conversation's second survey).
        pack_hash (None | str):
        follows_run_id (None | str):
        runs (int):
        thread (int):
        closed_at (datetime.datetime | None):
        messages_count (int):
        customer_messages (int):
        agent_messages (int):
        sends_waiting (int): Sends (acknowledgements, replies) the channel did not take at once, retried in the
            background in order; 0 once each ended (`message.delivered` or `message.delivery_failed` on the trail).
        crm_writes_waiting (int): CRM writes retried in the background the same way.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        first_customer_message_at (datetime.datetime | None):
        last_customer_message_at (datetime.datetime | None):
        first_agent_reply_at (datetime.datetime | None):
    """

    conversation_id: str
    channel: Channel
    status: Status
    customer: Party
    priority: str
    team: None | str
    assignee: None | str
    language: None | str
    tags: list[str]
    reopened: int
    escalation_level: int
    sla: SlaView
    survey: ConversationViewSurvey
    pack_hash: None | str
    follows_run_id: None | str
    runs: int
    thread: int
    closed_at: datetime.datetime | None
    messages_count: int
    customer_messages: int
    agent_messages: int
    sends_waiting: int
    crm_writes_waiting: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    first_customer_message_at: datetime.datetime | None
    last_customer_message_at: datetime.datetime | None
    first_agent_reply_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        channel = self.channel.value

        status = self.status.value

        customer = self.customer.to_dict()

        priority = self.priority

        team: None | str
        team = self.team

        assignee: None | str
        assignee = self.assignee

        language: None | str
        language = self.language

        tags = self.tags

        reopened = self.reopened

        escalation_level = self.escalation_level

        sla = self.sla.to_dict()

        survey = self.survey.to_dict()

        pack_hash: None | str
        pack_hash = self.pack_hash

        follows_run_id: None | str
        follows_run_id = self.follows_run_id

        runs = self.runs

        thread = self.thread

        closed_at: None | str
        if isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        messages_count = self.messages_count

        customer_messages = self.customer_messages

        agent_messages = self.agent_messages

        sends_waiting = self.sends_waiting

        crm_writes_waiting = self.crm_writes_waiting

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        first_customer_message_at: None | str
        if isinstance(self.first_customer_message_at, datetime.datetime):
            first_customer_message_at = self.first_customer_message_at.isoformat()
        else:
            first_customer_message_at = self.first_customer_message_at

        last_customer_message_at: None | str
        if isinstance(self.last_customer_message_at, datetime.datetime):
            last_customer_message_at = self.last_customer_message_at.isoformat()
        else:
            last_customer_message_at = self.last_customer_message_at

        first_agent_reply_at: None | str
        if isinstance(self.first_agent_reply_at, datetime.datetime):
            first_agent_reply_at = self.first_agent_reply_at.isoformat()
        else:
            first_agent_reply_at = self.first_agent_reply_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "channel": channel,
                "status": status,
                "customer": customer,
                "priority": priority,
                "team": team,
                "assignee": assignee,
                "language": language,
                "tags": tags,
                "reopened": reopened,
                "escalation_level": escalation_level,
                "sla": sla,
                "survey": survey,
                "pack_hash": pack_hash,
                "follows_run_id": follows_run_id,
                "runs": runs,
                "thread": thread,
                "closed_at": closed_at,
                "messages_count": messages_count,
                "customer_messages": customer_messages,
                "agent_messages": agent_messages,
                "sends_waiting": sends_waiting,
                "crm_writes_waiting": crm_writes_waiting,
                "created_at": created_at,
                "updated_at": updated_at,
                "first_customer_message_at": first_customer_message_at,
                "last_customer_message_at": last_customer_message_at,
                "first_agent_reply_at": first_agent_reply_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.conversation_view_survey import ConversationViewSurvey  # noqa: PLC0415
        from ..models.party import Party  # noqa: PLC0415
        from ..models.sla_view import SlaView  # noqa: PLC0415

        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        channel = Channel(d.pop("channel"))

        status = Status(d.pop("status"))

        customer = Party.from_dict(d.pop("customer"))

        priority = d.pop("priority")

        def _parse_team(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        team = _parse_team(d.pop("team"))

        def _parse_assignee(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        assignee = _parse_assignee(d.pop("assignee"))

        def _parse_language(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        language = _parse_language(d.pop("language"))

        tags = cast(list[str], d.pop("tags"))

        reopened = d.pop("reopened")

        escalation_level = d.pop("escalation_level")

        sla = SlaView.from_dict(d.pop("sla"))

        survey = ConversationViewSurvey.from_dict(d.pop("survey"))

        def _parse_pack_hash(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        pack_hash = _parse_pack_hash(d.pop("pack_hash"))

        def _parse_follows_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        follows_run_id = _parse_follows_run_id(d.pop("follows_run_id"))

        runs = d.pop("runs")

        thread = d.pop("thread")

        def _parse_closed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                closed_at_type_0 = datetime.datetime.fromisoformat(data)

                return closed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        closed_at = _parse_closed_at(d.pop("closed_at"))

        messages_count = d.pop("messages_count")

        customer_messages = d.pop("customer_messages")

        agent_messages = d.pop("agent_messages")

        sends_waiting = d.pop("sends_waiting")

        crm_writes_waiting = d.pop("crm_writes_waiting")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_first_customer_message_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                first_customer_message_at_type_0 = datetime.datetime.fromisoformat(data)

                return first_customer_message_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        first_customer_message_at = _parse_first_customer_message_at(d.pop("first_customer_message_at"))

        def _parse_last_customer_message_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_customer_message_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_customer_message_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_customer_message_at = _parse_last_customer_message_at(d.pop("last_customer_message_at"))

        def _parse_first_agent_reply_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                first_agent_reply_at_type_0 = datetime.datetime.fromisoformat(data)

                return first_agent_reply_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        first_agent_reply_at = _parse_first_agent_reply_at(d.pop("first_agent_reply_at"))

        conversation_view = cls(
            conversation_id=conversation_id,
            channel=channel,
            status=status,
            customer=customer,
            priority=priority,
            team=team,
            assignee=assignee,
            language=language,
            tags=tags,
            reopened=reopened,
            escalation_level=escalation_level,
            sla=sla,
            survey=survey,
            pack_hash=pack_hash,
            follows_run_id=follows_run_id,
            runs=runs,
            thread=thread,
            closed_at=closed_at,
            messages_count=messages_count,
            customer_messages=customer_messages,
            agent_messages=agent_messages,
            sends_waiting=sends_waiting,
            crm_writes_waiting=crm_writes_waiting,
            created_at=created_at,
            updated_at=updated_at,
            first_customer_message_at=first_customer_message_at,
            last_customer_message_at=last_customer_message_at,
            first_agent_reply_at=first_agent_reply_at,
        )

        conversation_view.additional_properties = d
        return conversation_view

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
