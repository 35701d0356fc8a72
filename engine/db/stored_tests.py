"""The test cases stored beside a version, read back as their author wrote them.

A version keeps the cases each tenant published it with (the hash covers the rules, not the tests);
`RulePack.written_tests` stores only what the author wrote, so `route: null` (expects no route)
stays apart from a field left out (not looked at). Rows stored before 7 December 2026 hold every
field of each expectation, an unset one null: read so, a null route, intent or language became an
expectation and a null `followed_by` an error, and a rollback to such a version was refused.
"""

from __future__ import annotations

from typing import Any

from engine.rules.pack import Expectation, FollowOn, RulePack

# Every field of an expectation (a status change's too): a version stored its tests whole before
# 7 December 2026, each field present, an unset one null (meaning "not looked at"); `written_tests`
# keeps only what the author wrote, so a row holding every field was stored whole.
_WHOLE = frozenset(Expectation.model_fields) - {"followed_by"}
_WHOLE_FOLLOW_ON = frozenset(FollowOn.model_fields)


def _as_written(expect: Any, fields: frozenset[str] = _WHOLE) -> Any:
    """A stored expectation as its author wrote it: one stored whole without the nulls it did not
    mean (`route: null` read as "expects no route", `followed_by: null` refused)."""
    if not isinstance(expect, dict):
        return expect
    whole = fields <= expect.keys()
    kept = {k: v for k, v in expect.items() if not (whole and v is None)}
    if isinstance(kept.get("followed_by"), list):
        kept["followed_by"] = [_as_written(f, _WHOLE_FOLLOW_ON) for f in kept["followed_by"]]
    return kept


def with_stored_tests(stored: RulePack, tests: list[Any] | None) -> RulePack:
    """A stored version with the test cases stored beside it (a tenant's row, a proposal's, a
    shadow run's)."""
    cases = [
        {**case, "expect": _as_written(case.get("expect"))} if isinstance(case, dict) else case
        for case in tests or []
    ]
    return RulePack.model_validate({**stored.canonical(), "tests": cases})
