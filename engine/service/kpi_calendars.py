"""The business calendars KPI threads are measured on, read from the pack each thread pinned (by hash).

One `CalendarBook` serves one report or refresh: each pack is read from the pack store once however
many threads or chunks name it. A pack or calendar the store does not know (or a pack whose content
no longer matches its hash) is left out: those threads get calendar time only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.calendar import BusinessCalendar, CalendarError, shared_calendar
from engine.db.packs import AlteredPack, PackStore, UnknownPack
from engine.kpis.threads import Fact


class CalendarBook:
    """Calendars by (pack hash, calendar name), each pack read once."""

    def __init__(self, database: AsyncEngine) -> None:
        self._store = PackStore(database)
        self._packs: dict[str, Any] = {}
        self._calendars: dict[tuple[str, str], BusinessCalendar] = {}

    async def calendars(
        self, wanted: Iterable[tuple[str | None, str | None]]
    ) -> dict[tuple[str, str], BusinessCalendar]:
        """The known calendars among `wanted` (what `threads_of` and `summary.thread_of` take)."""
        out: dict[tuple[str, str], BusinessCalendar] = {}
        for digest, name in set(wanted):
            if not digest or not name:
                continue
            if (digest, name) in self._calendars:
                out[(digest, name)] = self._calendars[(digest, name)]
                continue
            if digest not in self._packs:
                try:
                    self._packs[digest] = await self._store.get(digest)
                except (UnknownPack, AlteredPack):
                    self._packs[digest] = None
            pack = self._packs[digest]
            if pack is not None and name in pack.calendars:
                try:
                    out[(digest, name)] = self._calendars[(digest, name)] = shared_calendar(
                        pack.calendars[name]
                    )
                except CalendarError:
                    continue
        return out

    async def for_facts(self, facts: Iterable[Fact]) -> dict[tuple[str, str], BusinessCalendar]:
        """The known calendars the facts name."""
        return await self.calendars((f.data.get("pack"), f.data.get("calendar")) for f in facts)


async def calendars_for(
    database: AsyncEngine, facts: Iterable[Fact]
) -> dict[tuple[str, str], BusinessCalendar]:
    """Each (pack hash, calendar name) the facts name, as a business calendar (unknown ones are left out)."""
    return await CalendarBook(database).for_facts(facts)
