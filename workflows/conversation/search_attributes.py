"""Custom search attributes the conversation workflow upserts.

One list is the truth for both sides: the workflow upserts these keys, and the runtime registers
exactly these on the Temporal server at start. A workflow that upserts an unregistered attribute does
not fail, it hangs, so the two must never drift.

The embedded server's SQLite visibility store allows at most 3 custom attributes per type for
Datetime, Int, Double, Bool, Text and KeywordList (10 for Keyword): it refuses to start otherwise.
So the first customer message time is not an attribute (it is the creation time).
"""

from temporalio.common import SearchAttributeKey

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
