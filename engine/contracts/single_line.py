"""What one line of text from outside may hold: ids, names, addresses, subjects.

They end up in email headers and gateway fields, where a CR/LF is header injection that makes every
send of the conversation fail, and in an agent's view beside what the customer wrote. So a single
line holds no C0 or C1 control character nor DEL (U+0085 is a line break to some readers), no line
or paragraph separator (U+2028, U+2029: line breaks to JavaScript and to many renderers), and no
bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069), which reorder what a reader sees
("Trojan Source", CVE-2021-42574) and which a name or an id has no use for. Letters of every script,
emoji and their joiners stay.
"""

from __future__ import annotations

import re

NOT_IN_A_LINE = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"

SINGLE_LINE = rf"^[^{NOT_IN_A_LINE}]*$"
"""The pattern a field of one line matches (pydantic's `pattern`, and the OpenAPI document's)."""

LINE_BREAKERS = re.compile(rf"[{NOT_IN_A_LINE}]+")
"""What a line taken from a mail header has replaced by a space (engine/mail/bounds.py)."""

MAX_NAME = 64
PACK_NAME = rf"^[^'\"\\{NOT_IN_A_LINE}]{{1,{MAX_NAME}}}$"
"""A team's or a tag's name in a pack: one line of at most MAX_NAME characters without a quote or a
backslash. It is a search attribute's value that lists and KPIs filter on, and a quote would end the
string of Temporal's list query (engine/api/conversation_reads.py)."""

_PACK_NAME = re.compile(PACK_NAME)


def is_pack_name(value: str) -> bool:
    """True when `value` may name a team or a tag (`fullmatch`: a trailing newline does not slip by)."""
    return _PACK_NAME.fullmatch(value) is not None
