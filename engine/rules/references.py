"""Names a pack refers to (templates, teams, calendars, policies), and the did-you-mean for a typo."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

UNKNOWN_REFERENCE = "unknown-reference"
"""The code of the problem (and of `rules check`'s finding) of a template, team, calendar, SLA
policy, escalation level or skill the pack does not define (or an action naming none: an `assign`
to "agent" without its id, a `notify` without a recipient)."""


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The known name `word` most likely misspells, if one is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean "x"?)` for the closest known name, or nothing when none is close."""
    return f' (did you mean "{close}"?)' if (close := closest(word, choices)) else ""


def suggest_path(path: str, known: Iterable[str]) -> str:
    """The did-you-mean for a context path: a field is more often misspelt than misplaced, so the
    known path whose last part is closest to this one's comes first ("event.chanel" means a
    channel, not "event.type"), then the closest whole path."""
    paths = list(known)
    ends: dict[str, list[str]] = {}
    for candidate in paths:
        ends.setdefault(candidate.rsplit(".", 1)[-1], []).append(candidate)
    close = difflib.get_close_matches(path.rsplit(".", 1)[-1], list(ends), n=1, cutoff=0.8)
    if not close:
        return suggest(path, paths)
    same_end = ends[close[0]]
    best = difflib.get_close_matches(path, same_end, n=1, cutoff=0) or same_end
    return f' (did you mean "{best[0]}"?)'


def unknown(name: str | None, known: Iterable[str], what: str) -> str | None:
    """Why `name` is not one of `known` (with a suggestion), or None when it is, or is not set."""
    names = list(known)
    if name is None or name in names:
        return None
    return f'unknown {what} "{name}"{suggest(name, names)}'
