"""Which `convoflow up` a command of the embedded defaults talks to, so it seals with that one's keys.

Under `make run` a CLI command reaches the embedded Temporal at 127.0.0.1:CONVOFLOW_EMBEDDED_GRPC_PORT
and seals what it sends with the payload keyring of its own data directory. From another directory
(another clone, where `make run` once ran) it used that directory's keyring, whose key has the same
id: the service could never decrypt the roster signal it sent, and the tenant's assignment desk
stopped answering for good; a quarantined mail released that way started a conversation nobody
could read. `up` writes a marker into its data directory naming its port and process; a command
sends only where the marker names the port it is about to use and that process still runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine.service.config import Settings

MARKER = "up.json"


class NotThisService(RuntimeError):
    """No `convoflow up` of this data directory listens where the command would send."""


def mark_running(data_dir: Path, grpc_port: int) -> Path:
    """`up` started its Temporal on `grpc_port`: say so in its data directory (removed at stop)."""
    marker = data_dir / MARKER
    marker.write_text(json.dumps({"grpc_port": grpc_port, "pid": os.getpid()}) + "\n")
    return marker


def temporal_address(settings: Settings) -> str | None:
    """The address a CLI command sends to: None for a cluster (TEMPORAL_ADDRESS: the client's own),
    else the embedded server's, once the data directory's `up` is the one listening there."""
    if settings.temporal_address:
        return None
    port = settings.embedded_grpc_port
    marker = settings.data_dir / MARKER
    try:
        running = json.loads(marker.read_text())
        alive = running.get("grpc_port") == port and _alive(int(running["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        alive = False
    if not alive:
        raise NotThisService(
            f"no `convoflow up` of {settings.data_dir.resolve()} listens on port {port}: run this with "
            "the CONVOFLOW_DATA_DIR and CONVOFLOW_EMBEDDED_GRPC_PORT it runs with"
        )
    return f"127.0.0.1:{port}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True
