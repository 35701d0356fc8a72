"""A pack whose structure pydantic refuses, in its author's words: each problem with its path.

An unknown field or action gets a did-you-mean among those of its place, an unknown value among
the allowed ones; a scalar action's value is named under its kind, as the pack writes it.
"""

from __future__ import annotations

import re
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from engine.rules.actions import ACTIONS, ScalarAction
from engine.rules.loader import PackSource, Problem, format_path
from engine.rules.pack import RulePack
from engine.rules.references import closest, suggest


def structure_problems(source: PackSource, exc: ValidationError) -> list[Problem]:
    errors = exc.errors(include_url=False)
    misspelt = {_misspelt(err) for err in errors} - {None}
    # `expcet:` is one mistake: its did-you-mean says what "`expect` is required" would.
    told = [err for err in errors if not (err["type"] == "missing" and tuple(err["loc"]) in misspelt)]
    return [_structure_problem(source, err) for err in told]


def _structure_problem(source: PackSource, err: ErrorDetails) -> Problem:
    loc: list[str | int] = []
    for part in err["loc"]:
        # A scalar action's value is its model's `value` field: the pack writes it under the kind.
        if not (part == "value" and loc and _is_scalar_kind(loc[-1])):
            loc.append(part)
    path = format_path(loc)
    if err["type"] == "union_tag_not_found":
        value = err.get("input")
        if isinstance(value, dict) and len(value) == 1:
            kind = next(iter(value))
            return source.problem(path, f'unknown action "{kind}"{suggest(kind, ACTIONS)}')
        return source.problem(path, "an action is a mapping with one key, e.g. {add_tags: [billing]}")
    if err["type"] == "extra_forbidden":
        return source.problem(path, f"unknown field{suggest(str(loc[-1]), _siblings(loc))}")
    if err["type"] == "enum" and isinstance(given := err.get("input"), str):  # `message.recieved`
        allowed = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        return source.problem(path, f'unknown value "{given}"{suggest(given, allowed)}: {err["msg"]}')
    return source.problem(path, err["msg"])


def _misspelt(err: ErrorDetails) -> tuple[str | int, ...] | None:
    """For an unknown field close to a field of its place: where that field would be."""
    if err["type"] != "extra_forbidden":
        return None
    loc = list(err["loc"])
    close = closest(str(loc[-1]), _siblings(loc))
    return (*loc[:-1], close) if close else None


def _is_scalar_kind(part: str | int) -> bool:
    return isinstance(part, str) and part in ACTIONS and issubclass(ACTIONS[part], ScalarAction)


def _siblings(loc: list[str | int]) -> list[str]:
    """The fields (as a pack writes them) of the model at `loc`'s place: `settings.survey_delay_minute`
    got no did-you-mean, as a rule's or a test case's misspelt field did."""
    model = _model_at(loc[:-1])
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(parents: list[str | int]) -> type[BaseModel] | None:
    """The pydantic model a path leads to from RulePack, through fields, lists and mappings."""
    current: Any = RulePack
    for part in parents:
        model = _model_of(current)
        if model is not None:
            fields = {field.alias or name: field for name, field in model.model_fields.items()}
            if not isinstance(part, str) or part not in fields:
                return None
            current = fields[part].annotation
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]  # the item's, or the value's, whatever the index or key
        else:
            return None
    return _model_of(current)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation names, alone or beside None (`X | None`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, UnionType):
        models = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if len(models) == 1 else None
    return None
