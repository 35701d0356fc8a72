"""The customer's new text, apart from the quoted history and the signature below it.

Rules should read what the customer wrote now (`message.text`), not the thread they quoted: an old
"refund" in the quote must not tag today's "thanks, all good". mail-parser-reply recognises the
reply headers of many mail clients in many languages ("On ... wrote:", "Am ... schrieb",
"Le ... a écrit", "El ... escribió", Outlook's separator blocks) and signature delimiters.
What it removed is kept as `message.quoted`, so a rule (or an agent) can still read it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mailparser_reply import EmailReplyParser

# The languages whose reply headers are recognised; every language costs regex time on every mail.
LANGUAGES = ("en", "de", "fr", "es", "it", "nl")
MAX_SPLIT_CHARS = 200_000  # longer bodies are not split (regexes over them cost more than they give)
# What the library misses (measured: its Spanish header wants two spaces before "escribió"; HTML mail
# turned to text has `>` quotes without any header): a reply header line in one of our languages, or
# the first line of a trailing block of `>` quotes.
REPLY_HEADER = re.compile(
    r"(?im)^[ >]*(?:on|am|le|el|il|op)\s.{4,200}?\s"
    r"(?:wrote|schrieb|a\s+écrit|escribió|ha\s+scritto|schreef)\s*:?\s*$"
)
TRAILING_QUOTE = re.compile(r"(?m)^>.*(?:\n(?:>.*|\s*))*\Z")


@lru_cache(maxsize=1)
def _parser() -> EmailReplyParser:
    return EmailReplyParser(languages=list(LANGUAGES))


def split_reply(text: str) -> tuple[str, str]:
    """(new text, quoted history and signature); the whole text is new when nothing is recognised."""
    if not text.strip() or len(text) > MAX_SPLIT_CHARS:
        return text.strip(), ""
    normalised = text.replace("\r\n", "\n")
    try:
        replies = _parser().read(normalised).replies
    except Exception:  # a library regex failing on odd text must not lose the message
        return normalised.strip(), ""
    new = (replies[0].body or "").strip() if replies else ""
    at = normalised.find(new) if new else -1
    if at < 0:  # only a quote (a bare forward), or nothing recognised: the whole text is new
        return _fallback(normalised.strip())
    quoted = normalised[at + len(new) :].strip()
    return _fallback(new) if not quoted else (new, quoted)


def _fallback(text: str) -> tuple[str, str]:
    """Split at a reply header or a trailing `>` block the library did not recognise."""
    found = REPLY_HEADER.search(text) or TRAILING_QUOTE.search(text)
    if found is None or not text[: found.start()].strip():
        return text, ""
    return text[: found.start()].strip(), text[found.start() :].strip()
