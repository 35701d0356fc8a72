"""Calendars that read one way and run another: the office's hours counted in another zone, or
through the night.

`timezone: localtime` is a zone the time zone database answers on most Linux machines, so the pack
validates; it is whichever zone the machine running the worker is set to (a container's is UTC), so
every deadline moves with the host. `EST` or `Etc/GMT+5` are fixed offsets: an office in New York
typed as `EST` opens an hour late all summer. A range that ends before it starts is open through
the night (the calendar's overnight ranges: engine/calendar_document.py), what a night shift wants
and what `["14:00", "06:00"]` typed for `06:00-14:00` gets. Said as warnings and infos, not refused:
a published pack with them may be pinned by running conversations, which must keep loading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from engine.rules.analysis.findings import FIXED_OFFSET_ZONE, OVERNIGHT_RANGE, SERVER_TIME_ZONE, Finding
from engine.rules.pack import RulePack

SERVER_ZONES = frozenset({"localtime", "posixrules", "Factory"})
# The time zone database's zones named by an offset or a US/European abbreviation, each without the
# daylight saving time of the cities that use it, or with an old country-wide rule (and where to go).
FIXED_ZONES = {
    "EST": "America/New_York, or America/Panama for no daylight saving time",
    "MST": "America/Denver, or America/Phoenix for no daylight saving time",
    "HST": "Pacific/Honolulu",
    "EST5EDT": "America/New_York",
    "CST6CDT": "America/Chicago",
    "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles",
    "CET": "Europe/Paris, Europe/Berlin",
    "MET": "Europe/Paris, Europe/Berlin",
    "EET": "Europe/Athens, Europe/Helsinki",
    "WET": "Europe/Lisbon",
}
ETC_OFFSET = re.compile(r"^Etc/GMT[+-]\d{1,2}$")
HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


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
        elif isinstance(zone, str) and (zone in FIXED_ZONES or ETC_OFFSET.match(zone)):
            instead = FIXED_ZONES.get(zone, "its city's zone, such as America/New_York or Europe/Berlin")
            yield Finding(
                severity="warning",
                code=FIXED_OFFSET_ZONE,
                path=f"calendars.{name}.timezone",
                message=f"{zone!r} is a fixed offset (or an old rule), not a city's zone: the office's "
                f"hours move by an hour when its clocks change; name the city's ({instead})",
            )
        yield from _overnight(name, calendar.get("hours"))


def _overnight(name: str, hours: Any) -> Iterator[Finding]:
    if not isinstance(hours, dict):
        return
    for day, ranges in hours.items():
        if not isinstance(ranges, list):
            continue
        for i, pair in enumerate(ranges):
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            start, end = _minutes(pair[0]), _minutes(pair[1])
            if start is not None and end is not None and 0 < end < start:  # `00:00`: to midnight
                yield Finding(
                    severity="info",
                    code=OVERNIGHT_RANGE,
                    path=f"calendars.{name}.hours.{day}[{i}]",
                    message=f"open from {pair[0]} through the night until {pair[1]} the next day "
                    f"({(end + 1440 - start) / 60:g} hours): if you meant {pair[1]}-{pair[0]}, swap them",
                )


def _minutes(value: Any) -> int | None:
    found = HHMM.match(value) if isinstance(value, str) else None
    return int(found[1]) * 60 + int(found[2]) if found else None
