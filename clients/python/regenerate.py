"""Regenerate the client's generated package from the document the service builds.

    .venv/bin/python clients/python/regenerate.py           # rewrite convoflow_client/generated
    .venv/bin/python clients/python/regenerate.py --check   # exit 1 when the committed one is stale

`make client` runs the first. The document comes from `engine.api.openapi.build_document()` of this
checkout, not from a running server, so a route added to the service is one command away from the
client. openapi-python-client (pinned in requirements-dev.txt) writes the package into a temporary
folder outside the repository, where its ruff post-hooks run with `--isolated`: the output depends on
the document and the generator's version only, never on the repository's ruff settings.
"""

from __future__ import annotations

import argparse
import difflib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PACKAGE = HERE / "convoflow_client" / "generated"
DOCUMENT = HERE / "openapi.json"
COMMAND = ".venv/bin/python clients/python/regenerate.py   (or: make client)"
SKIPPED = {"__pycache__", ".ruff_cache"}


def document_text() -> str:
    """The OpenAPI document of this checkout's service, as committed beside the client."""
    sys.path.insert(0, str(ROOT))  # this checkout's engine, not whichever one the venv has installed
    from engine.api.openapi import build_document

    return json.dumps(build_document(), indent=2, ensure_ascii=False) + "\n"


def generate(into: Path) -> None:
    """The generated package at `into/generated` and its document at `into/openapi.json`."""
    text = document_text()
    (into / "openapi.json").write_text(text, encoding="utf-8")
    ruff = Path(sys.executable).parent / "ruff"
    config = {
        "package_name_override": "generated",
        # A quarantined mail's raw bytes (GET /v1/quarantine/{id}/raw): the client hands them over as is.
        "content_type_overrides": {"message/rfc822": "application/octet-stream"},
        "post_hooks": [
            f"{ruff} check . --isolated --fix-only --select F,I,UP --line-length 120 --quiet",
            f"{ruff} format . --isolated --line-length 120 --quiet",
        ],
    }
    with tempfile.TemporaryDirectory(prefix="convoflow-client-") as work:
        (Path(work) / "config.json").write_text(json.dumps(config), encoding="utf-8")
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "openapi_python_client",
                "generate",
                "--path",
                str(into / "openapi.json"),
                "--config",
                str(Path(work) / "config.json"),
                "--meta",
                "none",
                "--fail-on-warning",
                "--output-path",
                str(Path(work) / "generated"),
            ],
            capture_output=True,
            text=True,
            cwd=work,
        )
        if run.returncode != 0:
            sys.exit(f"openapi-python-client failed:\n{run.stdout}\n{run.stderr}")
        shutil.copytree(Path(work) / "generated", into / "generated", ignore=shutil.ignore_patterns(*SKIPPED))


def files_of(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not SKIPPED & set(p.relative_to(folder).parts)
    }


def differences(fresh: Path) -> list[str]:
    """What differs between the committed client and a fresh generation in `fresh`."""
    found: list[str] = []
    pairs = [(DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else "", fresh / "openapi.json")]
    if pairs[0][0] != pairs[0][1].read_text(encoding="utf-8"):
        found.append("openapi.json")
    committed, generated = files_of(PACKAGE), files_of(fresh / "generated")
    for name in sorted(committed.keys() | generated.keys()):
        old, new = committed.get(name), generated.get(name)
        if old == new:
            continue
        if old is None or new is None:
            found.append(f"generated/{name}: {'missing' if old is None else 'no longer generated'}")
            continue
        diff = difflib.unified_diff(
            old.splitlines(), new.splitlines(), "committed", "fresh", lineterm="", n=1
        )
        found.append(f"generated/{name}:\n" + "\n".join(list(diff)[:12]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when stale")
    check = parser.parse_args().check
    with tempfile.TemporaryDirectory(prefix="convoflow-client-out-") as out:
        generate(Path(out))
        if check:
            stale = differences(Path(out))
            if stale:
                print("The committed Python client is out of date with the OpenAPI document:")
                print("\n".join(stale[:10]))
                sys.exit(f"\nRegenerate it and commit the result:\n    {COMMAND}")
            print("clients/python is up to date with the OpenAPI document")
            return
        shutil.rmtree(PACKAGE, ignore_errors=True)
        shutil.copytree(Path(out) / "generated", PACKAGE)
        shutil.copyfile(Path(out) / "openapi.json", DOCUMENT)
        print(f"regenerated {PACKAGE.relative_to(ROOT)} and {DOCUMENT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
