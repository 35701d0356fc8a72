"""Files that hold personal data are readable by their owner only.

An audit bundle holds what the rules read (message texts among it), exported events hold the
contexts the rules saw, and a timeline names who wrote when: each was written with the process's
umask (0644 on most systems), so any user of the machine could read what README calls personal
data. Written here, they are 0600, as the development keys are.

The data directory `convoflow up` fills (the SQLite database with its CRM contacts and webhook
secrets, the outbox mirror, Temporal's database) is made 0700 and its files 0600: they were 0755
and 0644, and any user of the machine read the contacts, the replies and a channel's secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600
PRIVATE_DIR = 0o700


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


def private_dir(path: Path) -> None:
    """`path` made if missing, readable by its owner only (its missing parents as the umask has them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PRIVATE_DIR)
    except FileExistsError:
        pass


def open_to_others(path: Path) -> bool:
    """Whether users other than the owner may enter `path` (a directory the operator made)."""
    return path.is_dir() and bool(path.stat().st_mode & 0o077)


def create_private(path: Path) -> None:
    """`path` made empty with mode 0600, or made 0600 if it exists (an install from before, 0644) with
    its SQLite companions: a database created in it by a library (SQLite's 0644, and its -wal and -shm
    files, which take the database file's mode) stays private."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE))
    except FileExistsError:
        for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            make_private(existing)


def make_private(path: Path) -> None:
    """`path` 0600 when it is ours and open to others (a file another user owns is left as it is)."""
    try:
        status = path.stat()
        if status.st_uid == os.getuid() and status.st_mode & 0o077:
            path.chmod(PRIVATE)
    except FileNotFoundError:
        pass


def append_private(path: Path) -> BinaryIO:
    """`path` opened for appending, made 0600 when new or open to others (an install from before)."""
    make_private(path)
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, PRIVATE), "ab")
