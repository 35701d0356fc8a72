"""A pack folder as the one YAML document the API takes: pack.yaml with its tests.yaml under `tests:`
(publishing over the API, as from the CLI, needs the pack's test cases to pass)."""

from __future__ import annotations

import textwrap
from pathlib import Path


def pack_text(folder: Path) -> str:
    text = (folder / "pack.yaml").read_text(encoding="utf-8")
    tests = folder / "tests.yaml"
    if not tests.exists():
        return text
    return f"{text.rstrip()}\ntests:\n{textwrap.indent(tests.read_text(encoding='utf-8'), '  ')}"
