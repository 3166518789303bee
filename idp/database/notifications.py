"""Changes made by any instance, learnt by every process at once: PostgreSQL's LISTEN/NOTIFY.

**Why.** A client's copy is checked against its row's version on every request
(:mod:`idp.clients.lookup`), so that a change made elsewhere is seen at the next request:
on PostgreSQL, that is one of the one or two round trips of ``/token``, ``/introspect`` and
``/checktoken``. The key ring and the registry are reloaded every ``*_CACHE_SECONDS``, so a
change there waits that long. Told of every change, a process needs neither.

**The writers.** Triggers (migrations ``0006`` and ``0008``) on the tables the caches are
built from (:data:`TABLES`) send ``NOTIFY idp_changes, '<table>'`` in the writer's
transaction: PostgreSQL delivers it once that commits, never if it rolls back, whoever wrote
(the server, the CLI, an operator's ``psql``).

**The listener.** Each process holds one connection of its own (made by the engine's pool,
so bounded like the others, :mod:`.bounds`, then detached from it; ``idp change listener``
in ``pg_stat_activity``), in a daemon thread started at the first use of a cache. It
``LISTEN``\\ s, then every :data:`HEARTBEAT_SECONDS` notifies itself on a channel of its
own. Notifications arrive in commit order, so when its own comes back, every change
committed before it was sent has been applied: the listener is trusted until
:data:`LEASE_SECONDS` after it was sent. A connection that fails or is terminated ends the
lease at once; one that goes silent (a frozen server, a lost network) stops the echoes, and
the lease lapses without the thread's help. The thread then connects again, after
:data:`RECONNECT_SECONDS` (doubling up to the second value while it fails).

**The caches** stamp what they read with :meth:`ChangeListener.stamp`, taken before the
read, and ask whether one of their tables was notified since (or the listener reconnected
since: what happened meanwhile is unknown):

- a client's copy skips its version check while :meth:`~ChangeListener.unchanged_since`
  holds (that, and the lease), and is checked as before otherwise;
- the key ring and the registry (:class:`~idp.database.cache.TimedValue`) reload at the
  next use once :meth:`~ChangeListener.changed_since`, and every ``*_CACHE_SECONDS`` still.

So while the listener holds its lease, a change is seen everywhere within the time its
notification takes (milliseconds); otherwise as before: a client's at the next request, the
others within their ``*_CACHE_SECONDS``. A listener that goes silent is trusted for what is
left of its lease at most. What decides revocation is never cached (:mod:`idp.oauth2.bearer`).

Off on SQLite (no LISTEN), with ``IDP_CACHE_NOTIFICATIONS=false``, and while a trigger
is missing (a schema below 0008): then nothing is ever trusted without its check.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

#: The channel of the triggers (migrations 0006 and 0008), and the tables they are on.
CHANNEL = "idp_changes"
TABLES = frozenset({"clients", "identity_providers", "registry_providers", "registry_scopes", "signing_keys"})
#: How often the listener checks that its notifications still arrive, and how long after
#: such a check it is trusted.
HEARTBEAT_SECONDS = 0.5
LEASE_SECONDS = 1.5
#: The first pause before connecting again, and the longest.
RECONNECT_SECONDS = (0.5, 10.0)
APPLICATION_NAME = "idp change listener"
_TRIGGERED_TABLES = "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'idp_notify_change'"
_EXTENSION_KEY = "idp_change_listener"

log = logging.getLogger(__name__)


class MissingTriggers(Exception):
    """The schema does not notify every change (below migration 0008)."""


def tables(*names: str) -> frozenset[str]:
    """The tables a cache is built from; each must be one whose changes are notified."""
    unknown = set(names) - TABLES
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ValueError(f"no change notification for {names}: see migrations 0006 and 0008")
    return frozenset(names)


class ChangeListener:
    """What the caches ask of one process's listener; without an engine it never listens."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = weakref.ref(engine) if engine is not None else None
        self._start_lock = threading.Lock()
        self._pid: int | None = None  # of the process whose thread listens
        self._stopped = False
        # Events, counted: a change noted, or a (re)connection. Written by the thread only.
        self._events = 0
        self._changed: dict[str, int] = {}  # table -> the event of its last change
        self._reset_at = 0  # the event of the last connection
        self._lease_until = 0.0  # time.monotonic()
        self._echoed_sent = 0.0  # when the last echo that came back was sent
        self._wrote_at = 0.0  # when this process last committed a change to TABLES

    @property
    def listening(self) -> bool:
        """Is every change committed until a moment ago known here? Not after this process
        committed a change until an echo sent after that came back (:meth:`wrote`)."""
        return time.monotonic() < self._lease_until and self._echoed_sent >= self._wrote_at

    def wrote(self) -> None:
        """This process committed a change to :data:`TABLES`: its own next request must see
        it, and its notification may still be on its way. Until an echo sent after now comes
        back (notifications arrive in commit order, so the change has then been noted), the
        caches check as without a listener."""
        self._wrote_at = time.monotonic()

    def stamp(self) -> int:
        """The moment of a read, taken before it; starts this process's listener."""
        if self._engine is not None and self._pid != os.getpid() and not self._stopped:
            self._start()
        return self._events

    def changed_since(self, names: Iterable[str], stamp: int) -> bool:
        """A change to one of ``names`` was notified after ``stamp``, or the listener
        connected since (what changed while it was away is unknown)."""
        if stamp >= self._events:
            return False  # nothing at all was noted since: always so without a listener
        if stamp < self._reset_at:
            return True
        changed = self._changed
        return any(changed.get(name, -1) > stamp for name in names)

    def unchanged_since(self, names: Iterable[str], stamp: int) -> bool:
        """What was read at ``stamp`` is still what the tables hold (give or take the
        notification's delay): the listener holds its lease and was told of no change."""
        return self.listening and not self.changed_since(names, stamp)

    def stop(self) -> None:
        """Trust nothing from now on; the thread closes its connection and ends."""
        self._stopped = True
        self._lease_until = 0.0

    def _start(self) -> None:
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # a forked child starts its own
            self._lease_until = 0.0
            threading.Thread(target=self._run, name=APPLICATION_NAME, daemon=True).start()

    def _run(self) -> None:
        pause = RECONNECT_SECONDS[0]
        while not self._stopped:
            engine = self._engine()
            if engine is None:
                return  # its application is gone
            try:
                connection = _connect(engine)
            except Exception as error:
                if pause == RECONNECT_SECONDS[0]:
                    log.warning(
                        "%s: cannot connect (%s); per-request checks meanwhile",
                        APPLICATION_NAME,
                        type(error).__name__,
                    )
                time.sleep(pause)
                pause = min(pause * 2, RECONNECT_SECONDS[1])
                continue
            finally:
                del engine
            try:
                self._listen(connection)
            except MissingTriggers as error:
                log.warning("%s: %s; per-request checks meanwhile", APPLICATION_NAME, error)
                pause = RECONNECT_SECONDS[1]
            except Exception as error:
                if not self._stopped:
                    log.warning(
                        "%s: connection lost (%s); per-request checks until it is back",
                        APPLICATION_NAME,
                        type(error).__name__,
                    )
                pause = RECONNECT_SECONDS[0]
            finally:
                self._lease_until = 0.0
                with contextlib.suppress(Exception):
                    connection.close()
            if not self._stopped:
                time.sleep(pause)

    def _listen(self, connection) -> None:
        """LISTEN, then note each change and renew the lease at each echo, until stopped."""
        missing = TABLES - {row[0] for row in connection.execute(_TRIGGERED_TABLES)}
        if missing:
            names = ", ".join(sorted(missing))
            raise MissingTriggers(f"no change notifications on {names}: run `idp db upgrade`")
        echo = f"idp_echo_{connection.info.backend_pid}"
        connection.execute(f"LISTEN {CHANNEL}")
        connection.execute(f"LISTEN {echo}")
        self._events += 1
        self._reset_at = self._events
        confirmed = False
        while not self._stopped:
            sent = time.monotonic()
            connection.execute("SELECT pg_notify(%s, '')", (echo,))
            for notification in connection.notifies(timeout=HEARTBEAT_SECONDS):
                if notification.channel != echo:
                    self._events += 1
                    self._changed[notification.payload] = self._events
                elif not self._stopped:
                    self._echoed_sent = sent
                    self._lease_until = sent + LEASE_SECONDS
                    if not confirmed:
                        confirmed = True
                        log.info("%s: listening; per-request checks skipped", APPLICATION_NAME)


def _connect(engine: Engine):
    """A connection of the engine's (its connect events ran), detached from its pool."""
    pooled = engine.raw_connection()
    pooled.detach()
    connection = pooled.dbapi_connection
    connection.autocommit = True
    connection.execute(f"SET application_name = '{APPLICATION_NAME}'")
    return connection


#: The listener of what has no database to listen to (a cache made outside an application).
NEVER = ChangeListener()


def init_app(app: Flask, engine: Engine) -> None:
    """One listener per application (started at its first use, in each process), on
    PostgreSQL (psycopg) unless ``CACHE_NOTIFICATIONS`` is false; disposing of the engine
    stops it."""
    if engine.dialect.driver != "psycopg" or not app.config["CACHE_NOTIFICATIONS"]:
        app.extensions[_EXTENSION_KEY] = NEVER
        return
    listener = app.extensions[_EXTENSION_KEY] = ChangeListener(engine)
    event.listen(engine, "engine_disposed", lambda _engine: listener.stop())
    _watch_own_writes()


_WROTE = "idp_wrote_notified_tables"


def _watch_own_writes() -> None:
    """Tell this process's listener when one of its ORM sessions commits a change to
    :data:`TABLES` (:meth:`ChangeListener.wrote`): objects flushed, or a Core ``INSERT``,
    ``UPDATE`` or ``DELETE`` run through the session. Registered once, for every session."""
    if event.contains(Session, "after_commit", _committed):
        return
    event.listen(Session, "after_flush", _flushed)
    event.listen(Session, "do_orm_execute", _executed)
    event.listen(Session, "after_commit", _committed)
    event.listen(Session, "after_rollback", _rolled_back)


def _flushed(session: Session, _context) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(instance), "__tablename__", None)
        if table in TABLES:
            session.info[_WROTE] = True
            return


def _executed(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in TABLES:
            state.session.info[_WROTE] = True


def _committed(session: Session) -> None:
    if session.info.pop(_WROTE, False) and has_app_context():
        current_app.extensions.get(_EXTENSION_KEY, NEVER).wrote()


def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)


def listener_of(app: Flask) -> ChangeListener:
    return app.extensions[_EXTENSION_KEY]
