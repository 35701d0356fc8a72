"""Names a pack refers to (templates, teams, calendars, policies), and the did-you-mean for a typo."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean "x"?)` for the closest known name, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def unknown(name: str | None, known: Iterable[str], what: str) -> str | None:
    """Why `name` is not one of `known` (with a suggestion), or None when it is, or is not set."""
    names = list(known)
    if name is None or name in names:
        return None
    return f'unknown {what} "{name}"{suggest(name, names)}'
