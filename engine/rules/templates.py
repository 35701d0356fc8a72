"""Template rendering: `{customer.first_name}` placeholders filled from the rule context data.

The validator checks every placeholder against the context model, so at run time a placeholder can
only be empty (the value is unknown), never wrong.
"""

from __future__ import annotations

import re
from typing import Any

from engine.rules.context import value_at

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def render(text: str, data: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        value = value_at(data, match.group(1).strip())
        return "" if value is None else str(value)

    rendered = PLACEHOLDER.sub(fill, text)
    return re.sub(r" +([,.!?])", r"\1", rendered)  # "Hi , thanks" -> "Hi, thanks" when a name is unknown


def choose_text(texts: dict[str, str], wanted: list[str | None], default: str) -> tuple[str, str]:
    """The template text in the first wanted language it has, else the pack's default language."""
    for lang in wanted:
        if lang and lang in texts:
            return lang, texts[lang]
    return default, texts[default]
