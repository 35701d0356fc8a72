"""The problems of a pack's own test cases: what they read and what they expect, checked as a rule is.

A case that expected `priority: hihg`, an action `{type: rout}` or set `conversation.channel: mail`
simply failed, or passed on a context live never has: each is named here with its path, as a typo in
a rule's condition is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from engine.rules.actions import ACTIONS
from engine.rules.case_context import case_context
from engine.rules.context import KNOWN_PATHS, Priority, RuleContext
from engine.rules.context_domains import DOMAINS, STATUSES, shown
from engine.rules.loader import format_path
from engine.rules.pack import Outcome, RulePack
from engine.rules.references import UNKNOWN_REFERENCE, suggest, unknown

PRIORITIES = [p.value for p in Priority]

Problem = tuple[str, str, str]
"""(path, message, code)"""


# The expectations whose null is an answer: not routed, no intent or language found.
NULL_MEANS_NONE = frozenset({"route", "intent", "language"})


def case_problems(pack: RulePack) -> Iterator[Problem]:
    for i, case in enumerate(pack.tests):
        base = f"tests[{i}]"
        yield from context_problems(base, case.event.value, case.context)
        if not case.expect.model_fields_set:
            # It passed whatever the rules did, and counted every rule it matched as tested.
            problem = (
                "expects nothing, so the case passes whatever the rules decide: name what it should "
                "decide (matched, not_matched, actions, tags, route, priority, followed_by, ...)"
            )
            yield f"{base}.expect", problem, "invalid"
        yield from _outcome_problems(pack, f"{base}.expect", case.expect)
        for j, follow_on in enumerate(case.expect.followed_by or []):
            where = f"{base}.expect.followed_by[{j}]"
            if follow_on.status is not None and follow_on.status not in STATUSES:
                problem = f'unknown status "{follow_on.status}"{suggest(follow_on.status, STATUSES)}'
                yield f"{where}.status", problem, "invalid"
            yield from _outcome_problems(pack, where, follow_on)


def _outcome_problems(pack: RulePack, where: str, expect: Outcome) -> Iterator[Problem]:
    ids = [r.id for r in pack.rules]
    for key in sorted(expect.model_fields_set - NULL_MEANS_NONE):
        if getattr(expect, key) is None:  # read as "not looked at": the case asserted nothing there
            instead = {"priority": "a priority", "status": "a status"}.get(key, "[] for none")
            yield f"{where}.{key}", f"null tests nothing here: write {instead}, or leave it out", "invalid"
    for key in ("matched", "not_matched"):
        for j, rule_id in enumerate(getattr(expect, key) or []):
            if rule_id not in ids:
                problem = f'unknown rule id "{rule_id}"{suggest(rule_id, ids)}'
                yield f"{where}.{key}[{j}]", problem, "invalid"
    if expect.route is not None and (message := unknown(expect.route, pack.teams, "team")):
        yield f"{where}.route", message, UNKNOWN_REFERENCE
    if expect.priority is not None and expect.priority not in PRIORITIES:
        problem = f'unknown priority "{expect.priority}"{suggest(expect.priority, PRIORITIES)}'
        yield f"{where}.priority", problem, "invalid"
    for j, action in enumerate(expect.actions or []):
        kind = action.get("type")
        if kind not in ACTIONS:
            problem = f'unknown action type "{kind}"{suggest(str(kind), list(ACTIONS))}'
            yield f"{where}.actions[{j}].type", problem, "invalid"


def _fields_beside(loc: tuple[str | int, ...]) -> set[str]:
    """The context's field names where `loc` names one it does not have (`customer.tier`'s
    siblings for `customer.teir`): a list item's fields are documented under `N`."""
    parent = ["N" if isinstance(part, int) else part for part in loc[:-1]]
    return {
        segments[len(parent)]
        for segments in (path.split(".") for path in KNOWN_PATHS)
        if len(segments) > len(parent) and segments[: len(parent)] == parent
    }


def context_problems(base: str, event: str, context: dict[str, Any]) -> Iterator[Problem]:
    """What the rules cannot read in a test case's or a recorded event's `context` (under `base`):
    an unknown field, a value of the wrong type, a time without a zone, a value a field never holds."""
    typed: set[str] = set()  # what the context's own types refused: not told twice below
    at = format_path([base, "context"])
    try:
        RuleContext.model_validate(case_context(event, context))
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            path = format_path([at, *err["loc"]])
            typed.add(path)
            if err["type"] == "extra_forbidden":  # named as a typo is in the pack itself
                given = str(err["loc"][-1])
                yield path, f"unknown field{suggest(given, _fields_beside(err['loc']))}", "invalid"
            else:
                yield path, err["msg"], "invalid"
    given_time = _at(context, "event.time")
    where = f"{at}.event.time"
    if isinstance(given_time, str) and where not in typed and _naive(given_time):
        # Read in no zone, business hours were not computed and the case read them open at any hour.
        problem = (
            f'"{given_time}" needs a UTC offset (e.g. {given_time}+01:00): business hours are read at it'
        )
        yield where, problem, "invalid"
    for path, values in DOMAINS.items():
        given = _at(context, path)
        if given is not _ABSENT and given not in values and f"{at}.{path}" not in typed:
            named = [str(v) for v in values if v is not None]
            problem = f'{path} is never "{given}"{suggest(str(given), named)}: it is one of {shown(values)}'
            yield f"{at}.{path}", problem, "invalid"


_ABSENT = object()


def _naive(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is None
    except ValueError:  # malformed: the context's own type says so
        return False


def _at(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _ABSENT
        value = value[part]
    return value
