"""Custom search attributes the conversation workflow upserts.

One list is the truth for both sides: the workflow upserts these keys, and the runtime registers
exactly these on the Temporal server at start. A workflow that upserts an unregistered attribute does
not fail, it hangs, so the two must never drift.

The embedded server's SQLite visibility store allows at most 3 custom attributes per type for
Datetime, Int, Double, Bool, Text and KeywordList (10 for Keyword): it refuses to start otherwise.
So the first customer message time is not an attribute (it is the creation time).

An upsert carries only the attributes whose value changed since the run's previous one
(`changed_since`): Temporal merges an upsert into the attributes it holds, so the ones left out stand.
`ConvoLastActivityAt` holds the minute of the latest activity (`minute_of`), so the messages of a
chat's burst do not each cost the server a visibility write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.converter import encode_typed_search_attribute_value

from engine.contracts.conversation import ConversationState

TENANT = SearchAttributeKey.for_keyword("ConvoTenant")
STATUS = SearchAttributeKey.for_keyword("ConvoStatus")
CHANNEL = SearchAttributeKey.for_keyword("ConvoChannel")
PRIORITY = SearchAttributeKey.for_keyword("ConvoPriority")
TEAM = SearchAttributeKey.for_keyword("ConvoTeam")
ASSIGNEE = SearchAttributeKey.for_keyword("ConvoAssignee")
LANGUAGE = SearchAttributeKey.for_keyword("ConvoLanguage")
TAGS = SearchAttributeKey.for_keyword_list("ConvoTags")
SLA_BREACHED = SearchAttributeKey.for_bool("ConvoSlaBreached")
CSAT = SearchAttributeKey.for_int("ConvoCsat")
FIRST_RESPONSE_SECONDS = SearchAttributeKey.for_int("ConvoFirstResponseSeconds")
CREATED_AT = SearchAttributeKey.for_datetime("ConvoCreatedAt")
FIRST_AGENT_REPLY_AT = SearchAttributeKey.for_datetime("ConvoFirstAgentReplyAt")
LAST_ACTIVITY_AT = SearchAttributeKey.for_datetime("ConvoLastActivityAt")

# Temporal refuses an attribute value over 2,048 bytes (`limit.searchAttributesSizeOfValueLimit`)
# and terminates the workflow whose task upserted it: the conversation ended, its state lost. The
# tags can grow that long (up to 64 characters each, any number), and a team of a pack published
# before its name was bounded (engine/rules/validation.py MAX_TEAM_NAME).
MAX_VALUE_BYTES = 2_000

ALL: tuple[SearchAttributeKey, ...] = (
    TENANT,
    STATUS,
    CHANNEL,
    PRIORITY,
    TEAM,
    ASSIGNEE,
    LANGUAGE,
    TAGS,
    SLA_BREACHED,
    CSAT,
    FIRST_RESPONSE_SECONDS,
    CREATED_AT,
    FIRST_AGENT_REPLY_AT,
    LAST_ACTIVITY_AT,
)


def updates_for(state: ConversationState) -> list[SearchAttributeUpdate[Any]]:
    """The attribute values of a conversation as it stands (unset where a value is missing)."""
    s = state
    updates: list[SearchAttributeUpdate[Any]] = [
        TENANT.value_set(s.tenant),
        STATUS.value_set(s.status.value),
        CHANNEL.value_set(s.channel.value),
        PRIORITY.value_set(s.priority),
        TAGS.value_set(listed_tags(s.tags)),
        SLA_BREACHED.value_set(s.sla.breached),
        CREATED_AT.value_set(s.created_at),
        LAST_ACTIVITY_AT.value_set(minute_of(s.updated_at)),
    ]
    for key, value in ((TEAM, s.team), (ASSIGNEE, s.assignee), (LANGUAGE, s.language)):
        updates.append(key.value_set(value) if value and _fits(key, value) else key.value_unset())
    if s.first_agent_reply_at is not None:
        updates.append(FIRST_AGENT_REPLY_AT.value_set(s.first_agent_reply_at))
        updates.append(
            FIRST_RESPONSE_SECONDS.value_set(int((s.first_agent_reply_at - s.created_at).total_seconds()))
        )
    if s.survey.rating is not None:
        updates.append(CSAT.value_set(s.survey.rating))
    return updates


def minute_of(when: datetime) -> datetime:
    """The minute `when` falls in: what `ConvoLastActivityAt` holds, and what a query for activity
    since an instant compares it with (it finds every conversation active since, and may find one
    active earlier in the same minute).

    A customer's next message used to upsert its exact time, and that visibility write was a fifth to
    a quarter of the server's CPU for the message (docs/performance.md "Session 23"); to the minute,
    messages of the same minute change nothing a list shows, so the run upserts nothing
    (QUIET_ATTRIBUTES_PATCH).
    """
    return when.replace(second=0, microsecond=0)


def active_since(since: datetime) -> str:
    """The visibility clause for conversations with activity at or after `since`, compared from the
    minute `since` falls in as `ConvoLastActivityAt` holds it: none active since is missed (audit
    exports, a rule's traffic coverage), one active earlier in that minute may be found too."""
    return f"{LAST_ACTIVITY_AT.name} >= '{minute_of(since.astimezone(UTC)).isoformat()}'"


def listed_tags(tags: Sequence[str]) -> list[str]:
    """The tags lists show and filter on: the conversation's, oldest first, as many as fit in one
    attribute value (MAX_VALUE_BYTES). The conversation keeps them all (its state, its rules)."""
    kept: list[str] = []
    size = 2  # the list's brackets, then each tag as JSON and a comma between two
    for tag in tags:
        size += len(json.dumps(tag)) + (1 if kept else 0)
        if size > MAX_VALUE_BYTES:
            break
        kept.append(tag)
    while kept and len(encode_typed_search_attribute_value(TAGS, kept).data) > MAX_VALUE_BYTES:
        kept.pop()  # the SDK's encoding is what Temporal measures, should it differ from ours
    return kept


def _fits(key: SearchAttributeKey[str], value: str) -> bool:
    """Whether Temporal takes `value` (a team of a pack published before team names were bounded
    could pass it: such a conversation is listed without its team)."""
    return len(value) <= 64 or len(encode_typed_search_attribute_value(key, value).data) <= MAX_VALUE_BYTES


def changed_since(
    updates: list[SearchAttributeUpdate[Any]], published: dict[str, Any]
) -> list[SearchAttributeUpdate[Any]]:
    """What a run's next upsert carries: the updates whose value differs from the one it last
    published (`published`, which this brings up to date), so every one at its first upsert.

    An upsert of all of them, mostly unchanged, took 836 bytes of a next message's history, about
    13% of it, read again by every replay (docs/performance.md "Session 18"). Replay compares an upsert's
    command, not its attributes, so histories recorded with whole upserts replay, and the other
    way round. Nothing new is an empty list: runs of QUIET_ATTRIBUTES_PATCH then upsert nothing,
    older runs repeat the tenant, the command their histories expect (core.py `_publish_attributes`).
    """
    fresh = [u for u in updates if u.key.name not in published or published[u.key.name] != u.value]
    published.update((u.key.name, u.value) for u in fresh)
    return fresh
