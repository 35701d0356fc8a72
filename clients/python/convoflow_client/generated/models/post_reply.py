from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PostReply")


@_attrs_define
class PostReply:
    """
    Attributes:
        agent_id (str):
        text (str | Unset): What the agent wrote; required unless `template` names what to send. Default: ''.
        message_id (None | str | Unset): Caller's id for the reply; repeats are ignored. Required unless an
            `Idempotency-Key` header carries it (both: they must be equal).
        template (None | str | Unset): A template of the conversation's rule pack to send instead of text, in the
            customer's language: after WhatsApp's 24-hour window only approved templates go out (free text there is a 409
            `outside_messaging_window`); the gateway gets its name and language.
    """

    agent_id: str
    text: str | Unset = ""
    message_id: None | str | Unset = UNSET
    template: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        agent_id = self.agent_id

        text = self.text

        message_id: None | str | Unset
        if isinstance(self.message_id, Unset):
            message_id = UNSET
        else:
            message_id = self.message_id

        template: None | str | Unset
        if isinstance(self.template, Unset):
            template = UNSET
        else:
            template = self.template

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "agent_id": agent_id,
            }
        )
        if text is not UNSET:
            field_dict["text"] = text
        if message_id is not UNSET:
            field_dict["message_id"] = message_id
        if template is not UNSET:
            field_dict["template"] = template

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        agent_id = d.pop("agent_id")

        text = d.pop("text", UNSET)

        def _parse_message_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message_id = _parse_message_id(d.pop("message_id", UNSET))

        def _parse_template(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        template = _parse_template(d.pop("template", UNSET))

        post_reply = cls(
            agent_id=agent_id,
            text=text,
            message_id=message_id,
            template=template,
        )

        return post_reply
