"""Small read-mostly tables held by each process for a few seconds.

A report is filed many times a second and reads the same few rows each time (the category
catalogue, the calendar's local overrides); those are loaded once and kept for
``GRIDGOV_LOOKUP_TTL_SECONDS`` (10 s by default, 0 turns the copies off). An edit saved or
deleted through the model clears the copy of the process that made it at once (the owning
app connects ``post_save``/``post_delete`` to :meth:`TimedLookup.clear`); the other processes
load the edit when their copy expires.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

T = TypeVar("T")

_registry: list[TimedLookup[Any]] = []


class TimedLookup(Generic[T]):
    """The value ``load()`` returns, reloaded when older than the configured time to live."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._value: T | None = None
        self._key: tuple[Any, ...] | None = None
        self._generation = 0
        _registry.append(self)

    def get(self) -> T:
        ttl = float(getattr(settings, "GRIDGOV_LOOKUP_TTL_SECONDS", 10))
        database = connections[DEFAULT_DB_ALIAS].settings_dict.get("NAME")
        now = time.monotonic()
        with self._lock:
            generation = self._generation
            if self._value is not None and self._key is not None and ttl > 0:
                key_database, loaded_at = self._key
                if key_database == database and now - loaded_at < ttl:
                    return self._value
        value = self._load()
        with self._lock:
            if generation == self._generation:  # no clear() ran while loading
                self._value, self._key = value, (database, now)
        return value

    def clear(self, *_args: Any, **_kwargs: Any) -> None:
        """Forget the copy (also usable as a signal receiver)."""
        with self._lock:
            self._generation += 1
            self._value, self._key = None, None


def lookups_clear() -> None:
    """Forget every process copy (the test suite starts each test this way)."""
    for lookup in _registry:
        lookup.clear()
