"""What is wrong with the environment's settings, said as the operator wrote them (the variable's
name) and never with their values, which may be secrets."""

from __future__ import annotations

from pydantic import AliasChoices, ValidationError

from engine.service.config import Settings


def settings_problems(exc: ValidationError) -> str:
    """What is wrong with the environment, one line per variable as the operator wrote it
    (`CONVOFLOW_API_PORT: Input should be a valid integer`), never its value (it may be a secret):
    pydantic's own text named the field (`api_port`), echoed the value and linked its docs."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        info = Settings.model_fields.get(field)
        alias = info.validation_alias if info is not None else None
        name = str(alias.choices[0]) if isinstance(alias, AliasChoices) else f"CONVOFLOW_{field.upper()}"
        lines.append(f"{name}: {error['msg']}")
    return "; ".join(lines)
