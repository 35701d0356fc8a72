"""The one pattern every id taken from outside must match before it names anything.

Conversation ids arrive in URL paths, webhook bodies and (inside our own Message-IDs) in email
headers; they become part of a workflow id (`conversation:{tenant}:{id}`), of outbound keys and of
Message-IDs we send. So they may hold no separator (`:`), no slash, nothing a shell, a URL or a file
system would read as structure, and cannot begin with a dot: `../../etc/passwd` never matches.
Input that must name something and does not match is refused (422 naming the field) or, for email,
replaced by an id derived from a hash (`derived_id`), never used as it came.
"""

from __future__ import annotations

import hashlib
import re

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$"
"""1-128 characters of ASCII letters, digits, `.`, `_` and `-`, beginning with a letter or digit."""

_ID = re.compile(ID_PATTERN)


def is_safe_id(value: str) -> bool:
    """True when `value` may name a conversation (`fullmatch`: a trailing newline does not slip by)."""
    return _ID.fullmatch(value) is not None


AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@\-]{0,127}$"
"""An agent as a conversation names it (an assignment, a reply, the list's `assignee`): the id pattern
and `@`, since a tenant without a roster names its agents by their helpdesk login, often an address."""

_AGENT_ID = re.compile(AGENT_ID_PATTERN)


def is_agent_id(value: str) -> bool:
    return _AGENT_ID.fullmatch(value) is not None


def derived_id(prefix: str, source: str) -> str:
    """A safe id made from untrusted text: `prefix` (itself safe) and 20 hex digits of its SHA-256."""
    return f"{prefix}-{hashlib.sha256(source.encode('utf-8', 'surrogateescape')).hexdigest()[:20]}"
