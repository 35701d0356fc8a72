"""Decoded thread summaries kept in the process: a dashboard asks for the same week again and again.

Decoding the summaries (JSON text into `ThreadKpis`) is most of a warm report: a week of a
100,000-conversation month is ~22,000 threads. A summary's text is rewritten whenever its thread is
measured again, so the text is its own validity check: the store still reads it with the row, and a
thread whose text, pack and calendar are those of the object decoded last time reuses that object
(reports never change the threads they aggregate). Whether the thread's calendar is known is asked
anew each time, as `summary.Decoder.thread` does, so a pack published since is still noticed.

Bounded: a decoded thread takes ~1.7 KB, so `LIMIT` threads are ~45 MB per process (for all its
tenants; one cache per database, and a process has one). A
report that selects more threads than fit decodes them without keeping them (a whole-year report
would only push out the week the dashboard asks for next), and a cache that would overflow keeps
only the threads of the report at hand rather than tracking use: what a dashboard shows is kept.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.kpi_threads import Selected, ThreadKey
from engine.kpis import summary
from engine.kpis.threads import Calendars, ThreadKpis

LIMIT = 25_000


class _Kept(NamedTuple):
    body: str
    pack: str | None
    calendar: str | None
    measured: bool  # its business time was measured on a calendar known then
    thread: ThreadKpis


class DecodedThreads:
    """The decoded summaries of one database in this process, by tenant and thread."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._kept: dict[tuple[str, ThreadKey], _Kept] = {}
        self._lock = threading.Lock()  # reports decode in worker threads (asyncio.to_thread)

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        """Forget every decoded thread (the benchmark's report as a new process makes it)."""
        with self._lock:
            self._kept = {}

    def decoded(
        self, tenant: str, selected: Sequence[Selected], calendars: Calendars
    ) -> tuple[list[ThreadKpis], set[ThreadKey]]:
        """The summaries' threads, and the keys of those that cannot be trusted (to measure from facts)."""
        decoder = summary.Decoder(calendars)
        keep = len(selected) <= self._limit
        with self._lock:
            kept = self._kept
            if keep and len(kept) + len(selected) > self._limit:  # keep only this report's threads
                wanted = {(tenant, s.key) for s in selected}
                self._kept = kept = {k: v for k, v in kept.items() if k in wanted}
            threads, untrusted = [], set()
            for s in selected:
                if s.split or s.summary is None:
                    continue
                known = (s.pack or "", s.calendar or "") in calendars
                old = kept.get((tenant, s.key))
                if (
                    old is not None
                    and old.body == s.summary
                    and old.pack == s.pack
                    and old.calendar == s.calendar
                    and old.measured == known
                ):
                    threads.append(old.thread)
                    continue
                thread = decoder.thread(s.key, s.pack, s.calendar, s.summary)
                if thread is None:
                    untrusted.add(s.key)
                    kept.pop((tenant, s.key), None)
                    continue
                threads.append(thread)
                if keep:
                    kept[(tenant, s.key)] = _Kept(s.summary, s.pack, s.calendar, known, thread)
        return threads, untrusted


_BY_DATABASE: weakref.WeakKeyDictionary[AsyncEngine, DecodedThreads] = weakref.WeakKeyDictionary()


def decoded_threads(database: AsyncEngine) -> DecodedThreads:
    """This process's decoded summaries of a database (tests open several databases)."""
    return _BY_DATABASE.setdefault(database, DecodedThreads())
