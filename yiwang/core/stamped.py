"""Per-process caches of small, rarely edited tables (the calendar, the catalogue, point rules).

Each cache keeps a value built from the database and a "stamp" from one cheap aggregate query
(row count and latest `updated_at`). The stamp is checked at most every few seconds, so an edit made
in any process shows everywhere within that time, and requests in between cost no query at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
_ALL: list[StampedCache] = []


class StampedCache(Generic[T]):
    def __init__(self, *, stamp: Callable[[], object], build: Callable[[], T], every: float = 2.0):
        self._stamp, self._build, self._every = stamp, build, every
        self._lock = threading.Lock()
        self._value: T | None = None
        self._value_stamp: object = None
        self._checked_at = -1e18
        _ALL.append(self)

    def get(self) -> T:
        if self._value is not None and time.monotonic() - self._checked_at < self._every:
            return self._value
        with self._lock:
            stamp = self._stamp()
            if self._value is None or stamp != self._value_stamp:
                self._value, self._value_stamp = self._build(), stamp
            self._checked_at = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value, self._checked_at = None, -1e18


def table_stamp(*querysets) -> tuple:
    """(count, latest updated_at) of each queryset: moves on every insert, edit or delete."""
    from django.db.models import Count, Max

    return tuple(tuple(qs.aggregate(n=Count("pk"), at=Max("updated_at")).values()) for qs in querysets)


def invalidate_all() -> None:
    for cache in _ALL:
        cache.invalidate()
