"""The committed Python client (clients/python) is what the generator makes of today's OpenAPI
document: a route, field or status changed in the service without `make client` fails here, with
the command that fixes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.api.openapi import build_document

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_client_matches_the_document() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "clients/python/regenerate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_operation_has_a_unique_name_a_client_can_use() -> None:
    operations = [op for ops in build_document()["paths"].values() for op in ops.values()]
    names = [op["operationId"] for op in operations]
    assert len(names) == len(set(names)) and all(name.isidentifier() for name in names), names
    assert all(len(op["tags"]) == 1 and op["tags"][0] for op in operations)
