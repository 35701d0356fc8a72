"""A bounded, thread-safe table of values built once per key and shared by the whole process.

Calendars (engine/calendar.py) and parsed rule packs (workflows/conversation/shared_packs.py) are
immutable once built and costly to build, and worker threads ask for them concurrently. Building
happens outside the lock (a calendar's holiday data, a pack's validation take milliseconds), so two
first uses may both build: the one stored first is kept and returned to both, so every caller of a
key shares one value. Past `limit` keys, the least recently used is dropped; holders keep theirs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedValues(Generic[K, V]):
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value for `key`, built by `build()` on a miss."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        value = build()
        with self._lock:
            value = self._values.setdefault(key, value)
            self._values.move_to_end(key)
            while len(self._values) > self._limit:
                self._values.popitem(last=False)
        return value
