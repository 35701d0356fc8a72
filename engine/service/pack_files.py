"""Reading rule packs from disk: one YAML/JSON file, or a folder with `pack.yaml` and `tests.yaml`.

The parsing and validation are pure (engine/rules); this module is the file I/O in front of them,
used by the CLI, the pack store's first publish and the tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.rules.loader import MAX_PACK_BYTES, PackLoadError, PackSource, Problem, parse
from engine.rules.pack import RulePack
from engine.rules.validation import validate

PACK_FILE = "pack.yaml"
CASE_INDEX = re.compile(r"^tests\[(\d+)\]")
TESTS_FILE = "tests.yaml"


def _read(file: Path, prefix: list, locations: dict) -> Any:
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise PackLoadError([Problem("", f"cannot read: {exc.strerror}", file)]) from None
    if size > MAX_PACK_BYTES:
        raise PackLoadError([Problem("", f"file larger than {MAX_PACK_BYTES} bytes", file)])
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PackLoadError([Problem("", "cannot read: not UTF-8 text", file)]) from None
    return parse(text, file, prefix, locations)


def load_source(path: Path) -> PackSource:
    """Read a pack file or folder (a `pack.yaml` is read with the folder it is in). Raises
    PackLoadError for unreadable or unparsable files."""
    path = Path(path)
    if path.name == PACK_FILE and path.is_file():
        # A folder's pack.yaml named on its own is that folder: its tests.yaml was left out, and
        # `rules test` said to add tests.yaml beside pack.yaml, where they were.
        path = path.parent
    locations: dict[str, tuple[Path, int]] = {}
    main = path
    if path.is_dir():
        main = path / PACK_FILE
        if not main.exists():
            raise PackLoadError([Problem("", f"a pack folder needs {PACK_FILE}", path)])
        data = _read(main, [], locations)
        tests_file = path / TESTS_FILE
        if isinstance(data, dict) and tests_file.exists():
            found: dict[str, tuple[Path, int]] = {}
            tests = _read(tests_file, ["tests"], found)
            wrapped = isinstance(tests, dict) and set(tests) == {"tests"}
            if wrapped:
                tests = tests["tests"]
            inline = data.get("tests") or []
            for at, where in found.items():
                locations.setdefault(_in_merged_list(at, wrapped, len(inline)), where)
            data["tests"] = [*inline, *(tests or [])]
    else:
        data = _read(path, [], locations)
    if not isinstance(data, dict):
        raise PackLoadError([Problem("", "a pack is a mapping with meta and rules", path)])
    return PackSource(main, data, locations)


def _in_merged_list(at: str, wrapped: bool, inline: int) -> str:
    """A path of tests.yaml as the merged pack names it: its cases follow the pack's own `inline`
    ones (tests.yaml's first case is `tests[inline]`), and a file written as `{tests: [...]}` has
    its cases one level down. Problems then name tests.yaml and the case's own line."""
    if wrapped:
        at = at.removeprefix("tests.")
    case = CASE_INDEX.match(at)
    return f"tests[{int(case.group(1)) + inline}]{at[case.end() :]}" if case else at


def load_valid(path: Path) -> RulePack:
    """A pack from disk that passed validation; PackLoadError lists every problem otherwise."""
    pack, problems = validate(load_source(path))
    if problems or pack is None:
        raise PackLoadError(problems)
    return pack
