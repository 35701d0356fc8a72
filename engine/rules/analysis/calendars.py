"""Calendars that read one way and run another: the office's hours counted in the server's zone.

`timezone: localtime` is a zone the time zone database answers on most Linux machines, so the pack
validates; it is whichever zone the machine running the worker is set to (a container's is UTC), so
every deadline moves with the host. Said as a warning, not refused: a published pack with it may be
pinned by running conversations, which must keep loading.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.rules.analysis.findings import SERVER_TIME_ZONE, Finding
from engine.rules.pack import RulePack

SERVER_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def calendar_findings(pack: RulePack) -> Iterator[Finding]:
    for name, calendar in pack.calendars.items():
        zone = calendar.get("timezone")
        if isinstance(zone, str) and zone in SERVER_ZONES:
            yield Finding(
                severity="warning",
                code=SERVER_TIME_ZONE,
                path=f"calendars.{name}.timezone",
                message=f"{zone!r} is the zone of the machine the worker runs on, not the office's: name "
                "the office's (Europe/London, America/New_York)",
            )
