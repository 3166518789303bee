"""Values read from the database and kept by each process for a few seconds.

The key ring, the scope registry's definitions and the namespace owners change rarely and
are read on every hot request. Each is one :class:`TimedValue`: reloaded at most every
``ttl_setting`` seconds (a configuration key, read at each use), by one thread while the
others keep the value they have. What decides revocation is never cached this way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from idp.extensions import per_app

T = TypeVar("T")


class TimedValue(Generic[T]):
    """A value reloaded by ``load(previous)`` once it is ``ttl_setting`` seconds old."""

    def __init__(self, config, ttl_setting: str, load: Callable[[T | None], T]) -> None:
        self._config = config  # the application's, read at each use (settings may change)
        self._ttl_setting = ttl_setting
        self._load = load
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at = 0.0

    def _fresh(self) -> bool:
        return (
            self._value is not None and time.monotonic() - self._loaded_at < self._config[self._ttl_setting]
        )

    def get(self) -> T:
        if not self._fresh():
            with self._lock:
                if not self._fresh():
                    self._value = self._load(self._value)
                    self._loaded_at = time.monotonic()
        return self._value

    def invalidate(self) -> None:
        """Reload at the next use (after a write made by this process)."""
        self._value = None


def timed_value(key: str, ttl_setting: str, load: Callable[[T | None], T]) -> TimedValue[T]:
    """The current application's one :class:`TimedValue` named ``key``."""
    return per_app(key, lambda app: TimedValue(app.config, ttl_setting, load))
