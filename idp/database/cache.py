"""Values read from the database and kept by each process for a few seconds.

The key ring, the scope registry's definitions and the namespace owners change rarely and
are read on every hot request. Each is one :class:`TimedValue`: reloaded at most every
``ttl_setting`` seconds (a configuration key, read at each use), and at the next use once a
change to one of its ``tables`` is notified (:mod:`idp.database.notifications`, PostgreSQL).
What decides revocation is never cached this way.

While a previous value exists, the database's troubles stay out of the requests' way:

- **One thread reloads, the others do not wait**: they keep serving the previous value
  (a reload waiting on a hung database may take ``IDP_DATABASE_TIMEOUT`` and more).
- **Stale while error**: a reload that fails (or gives up on a database that does not
  answer) keeps the previous value, logged, and is tried again ``ttl_setting`` seconds
  later, in the background until one succeeds: only the request that met the failure
  waited for it. ``/jwks`` keeps answering, at once, while the database is down.
- **Apart from the request**: the reload runs in an application context of its own, so on
  its own database session: its failure leaves nothing half-done in the request's session
  (which then commits or rolls back only its own work), and a request that only reads
  cached values opens no session at all.

Without a previous value (the first use, or after :meth:`TimedValue.invalidate`) there is
nothing to serve: every caller waits for the load, and its error propagates (503).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from flask import current_app

from idp.database import notifications
from idp.database.notifications import NEVER, ChangeListener
from idp.extensions import per_app

T = TypeVar("T")
log = logging.getLogger(__name__)


class TimedValue(Generic[T]):
    """A value reloaded by ``load(previous)`` once it is ``ttl_setting`` seconds old, or once
    ``changes`` was told of a change to one of ``tables`` since it was read."""

    def __init__(
        self,
        config,
        ttl_setting: str,
        load: Callable[[T | None], T],
        name: str = "value",
        *,
        changes: ChangeListener = NEVER,
        tables: frozenset[str] = frozenset(),
    ) -> None:
        self._config = config  # the application's, read at each use (settings may change)
        self._ttl_setting = ttl_setting
        self._load = load
        self._name = name
        self._changes = changes
        self._tables = tables
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at = 0.0  # when it was loaded, or last tried
        self._stored_at = 0.0  # when the value served was loaded
        self._stamp = 0  # the listener's stamp of that load, or of the last try
        self._failing = False  # the last reload failed: the next ones run in the background

    def _fresh(self) -> bool:
        return (
            self._value is not None
            and time.monotonic() - self._loaded_at < self._config[self._ttl_setting]
            and not self._changes.changed_since(self._tables, self._stamp)
        )

    def get(self) -> T:
        if self._fresh():
            return self._value
        previous = self._value
        app = current_app._get_current_object()
        if previous is None:
            with self._lock:  # nothing to serve meanwhile: wait for whoever loads
                if self._value is None:
                    stamp = self._changes.stamp()
                    self._store(self._load_apart(app, None), stamp)
                return self._value
        if not self._lock.acquire(blocking=False):
            return previous  # another thread is reloading
        if self._fresh():
            self._lock.release()
        elif self._failing:  # no request waits on a database that just failed
            threading.Thread(target=self._reload, args=(app, previous), daemon=True).start()
        else:
            self._reload(app, previous)
        return self._value

    def _reload(self, app, previous: T) -> None:
        """Reload, keeping ``previous`` on failure; releases the lock the caller took."""
        stamp = self._changes.stamp()
        try:
            self._store(self._load_apart(app, previous), stamp)
            self._failing = False
        except Exception as error:
            log.warning(
                "%s: reload failed (%s); still serving the value loaded %.0f s ago",
                self._name,
                type(error).__name__,
                time.monotonic() - self._stored_at,
            )
            self._loaded_at = time.monotonic()  # the next try, one period from now
            self._stamp = stamp  # even after a notified change
            self._failing = True
        finally:
            self._lock.release()

    def _store(self, value: T, stamp: int) -> None:
        self._value = value
        self._stamp = stamp
        self._loaded_at = self._stored_at = time.monotonic()

    def _load_apart(self, app, previous: T | None) -> T:
        """``load`` in an application context of its own (its own database session)."""
        with app.app_context():
            return self._load(previous)

    def invalidate(self) -> None:
        """Reload at the next use (after a write made by this process)."""
        self._value = None


def timed_value(
    key: str, ttl_setting: str, load: Callable[[T | None], T], tables: frozenset[str]
) -> TimedValue[T]:
    """The current application's one :class:`TimedValue` named ``key``, built from ``tables``
    (:func:`idp.database.notifications.tables`)."""
    return per_app(
        key,
        lambda app: TimedValue(
            app.config, ttl_setting, load, name=key, changes=notifications.listener_of(app), tables=tables
        ),
    )
