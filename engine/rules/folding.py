"""How `contains_any` compares text with its keywords: case-insensitively, and whatever the Unicode
form either was written in.

A Mac mail client writes `é` as `e` and a combining accent: `{"contains_any": [..., ["réclamation"]]}`
did not match the customer's "réclamation" (helper-114), and full-width letters or a `fi`
ligature (U+FB01) missed "refund" and "fi". Triage reads NFKC text; so do the rules now. ASCII text, most of
it, takes the fast path: its NFKC is itself.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """`text` compatibility-composed and case-folded (Unicode's NFKC_Casefold, near enough)."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
