"""Files that hold personal data are readable by their owner only.

An audit bundle holds what the rules read (message texts among it), exported events hold the
contexts the rules saw, and a timeline names who wrote when: each was written with the process's
umask (0644 on most systems), so any user of the machine could read what README calls personal
data. Written here, they are 0600, as the development keys are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600


def open_private(path: Path) -> BinaryIO:
    """`path` opened for writing from its start, mode 0600 (also when it existed with another)."""
    # O_NOFOLLOW: a symlink planted at the path is refused (ELOOP), not written through.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE)
    try:
        os.fchmod(descriptor, PRIVATE)  # O_CREAT's mode applies to a new file only
        return os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        raise


def write_private(path: Path, data: bytes) -> None:
    with open_private(path) as file:
        file.write(data)
