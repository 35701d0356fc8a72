from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.channel import Channel
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.gateway_party import GatewayParty
    from ..models.inbound_webhook_headers import InboundWebhookHeaders
    from ..models.post_attachment import PostAttachment


T = TypeVar("T", bound="InboundWebhook")


@_attrs_define
class InboundWebhook:
    """What a gateway posts for a customer message: `POST .../messages`'s body, with the event's type
    and the conversation. Its `received_at`, `subject`, `attachments` and the rest were dropped
    without a word (a photo alone was a conversation of no text, its clocks counted from arrival).
    Fields of the gateway's own are ignored: a gateway does not retry a 4xx, so refusing one lost
    the customer's message.

        Attributes:
            message_id (str): The channel's message id.
            channel (Channel):
            sender (GatewayParty): The sender as a gateway describes it: its address and name are read, the rest of its own
                (a WhatsApp `profile`) is ignored.
            type_ (str):
            conversation_id (str): The conversation's id: 1-128 of letters, digits, '.', '_', '-', beginning with a letter
                or digit (engine/contracts/ids.py).
            text (str | Unset): What the customer wrote; may be left out when the message has a subject, quoted history or
                an attachment (a message of none of them is a 422 naming `text`). Default: ''.
            quoted (str | Unset): Quoted history and signature the channel separated from `text` (rules read it as
                `message.quoted`); email received by convoflow fills it itself. Default: ''.
            subject (None | str | Unset):
            received_at (datetime.datetime | None | Unset): When the channel received it, with its UTC offset: within the
                366 days before the API's clock and at most one day after it. When the API took the message if absent.
            auto_submitted (bool | Unset): The channel knows it is automatic (RFC 3834 Auto-Submitted, bounce). Default:
                False.
            language (None | str | Unset):
            attachments (list[PostAttachment] | Unset):
            headers (InboundWebhookHeaders | Unset): Channel headers; `Auto-Submitted` other than `no` marks a machine.
    """

    message_id: str
    channel: Channel
    sender: GatewayParty
    type_: str
    conversation_id: str
    text: str | Unset = ""
    quoted: str | Unset = ""
    subject: None | str | Unset = UNSET
    received_at: datetime.datetime | None | Unset = UNSET
    auto_submitted: bool | Unset = False
    language: None | str | Unset = UNSET
    attachments: list[PostAttachment] | Unset = UNSET
    headers: InboundWebhookHeaders | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message_id = self.message_id

        channel = self.channel.value

        sender = self.sender.to_dict()

        type_ = self.type_

        conversation_id = self.conversation_id

        text = self.text

        quoted = self.quoted

        subject: None | str | Unset
        if isinstance(self.subject, Unset):
            subject = UNSET
        else:
            subject = self.subject

        received_at: None | str | Unset
        if isinstance(self.received_at, Unset):
            received_at = UNSET
        elif isinstance(self.received_at, datetime.datetime):
            received_at = self.received_at.isoformat()
        else:
            received_at = self.received_at

        auto_submitted = self.auto_submitted

        language: None | str | Unset
        if isinstance(self.language, Unset):
            language = UNSET
        else:
            language = self.language

        attachments: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.attachments, Unset):
            attachments = []
            for attachments_item_data in self.attachments:
                attachments_item = attachments_item_data.to_dict()
                attachments.append(attachments_item)

        headers: dict[str, Any] | Unset = UNSET
        if not isinstance(self.headers, Unset):
            headers = self.headers.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message_id": message_id,
                "channel": channel,
                "sender": sender,
                "type": type_,
                "conversation_id": conversation_id,
            }
        )
        if text is not UNSET:
            field_dict["text"] = text
        if quoted is not UNSET:
            field_dict["quoted"] = quoted
        if subject is not UNSET:
            field_dict["subject"] = subject
        if received_at is not UNSET:
            field_dict["received_at"] = received_at
        if auto_submitted is not UNSET:
            field_dict["auto_submitted"] = auto_submitted
        if language is not UNSET:
            field_dict["language"] = language
        if attachments is not UNSET:
            field_dict["attachments"] = attachments
        if headers is not UNSET:
            field_dict["headers"] = headers

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.gateway_party import GatewayParty  # noqa: PLC0415
        from ..models.inbound_webhook_headers import InboundWebhookHeaders  # noqa: PLC0415
        from ..models.post_attachment import PostAttachment  # noqa: PLC0415

        d = dict(src_dict)
        message_id = d.pop("message_id")

        channel = Channel(d.pop("channel"))

        sender = GatewayParty.from_dict(d.pop("sender"))

        type_ = d.pop("type")

        conversation_id = d.pop("conversation_id")

        text = d.pop("text", UNSET)

        quoted = d.pop("quoted", UNSET)

        def _parse_subject(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        subject = _parse_subject(d.pop("subject", UNSET))

        def _parse_received_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                received_at_type_0 = datetime.datetime.fromisoformat(data)

                return received_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        received_at = _parse_received_at(d.pop("received_at", UNSET))

        auto_submitted = d.pop("auto_submitted", UNSET)

        def _parse_language(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        language = _parse_language(d.pop("language", UNSET))

        _attachments = d.pop("attachments", UNSET)
        attachments: list[PostAttachment] | Unset = UNSET
        if _attachments is not UNSET:
            attachments = []
            for attachments_item_data in _attachments:
                attachments_item = PostAttachment.from_dict(attachments_item_data)

                attachments.append(attachments_item)

        _headers = d.pop("headers", UNSET)
        headers: InboundWebhookHeaders | Unset
        if isinstance(_headers, Unset):
            headers = UNSET
        else:
            headers = InboundWebhookHeaders.from_dict(_headers)

        inbound_webhook = cls(
            message_id=message_id,
            channel=channel,
            sender=sender,
            type_=type_,
            conversation_id=conversation_id,
            text=text,
            quoted=quoted,
            subject=subject,
            received_at=received_at,
            auto_submitted=auto_submitted,
            language=language,
            attachments=attachments,
            headers=headers,
        )

        inbound_webhook.additional_properties = d
        return inbound_webhook

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
