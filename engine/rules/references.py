"""Names a pack refers to (templates, teams, calendars, policies), and the did-you-mean for a typo."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

UNKNOWN_REFERENCE = "unknown-reference"
"""The code of the problem (and of `rules check`'s finding) of a template, team, calendar, SLA
policy, escalation level or skill the pack does not define (or an action naming none: an `assign`
to "agent" without its id, a `notify` without a recipient)."""


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
