"""How long the database may keep a request waiting: ``IDP_DATABASE_TIMEOUT`` (T) seconds.

A request that needs a database that does not answer must get a 503 within a few seconds,
not hang a server thread. Every wait is bounded:

- **Connecting**: libpq's ``connect_timeout`` (T, at least 2 s, libpq's floor); SQLite opens
  a local file. (These two are engine options: :func:`idp.config.engine_options`.)
- **A statement the server runs**: PostgreSQL's ``statement_timeout`` (T), which the
  server enforces while it is alive (a slow query, a lock wait); SQLite's ``busy_timeout``
  (T) on a locked database (:func:`sqlite_pragmas`).
- **A server that does not answer at all**: a PostgreSQL frozen by ``SIGSTOP`` (or a
  stalled disk, a hung VM) enforces nothing, and its kernel still acknowledges every TCP
  segment, so neither TCP keepalives nor ``tcp_user_timeout`` notice. Psycopg waits for
  each round trip in :meth:`psycopg.Connection.wait`, which takes a ``timeout`` (it raises
  ``psycopg.errors._WaitTimeout``, an ``OperationalError``) that its statements do not
  pass. :class:`BoundedConnection` passes one, T + 0.5 s (past the server's own
  ``statement_timeout``, so that a live server reports first), to every wait of the
  connection: statements, fetches, ``COMMIT``, ``ROLLBACK``, the pool's ping. When it
  expires, the connection is closed (its state is unknown: a statement is in flight), and
  SQLAlchemy, finding it closed, drops it from the pool. The one wait that passes its own
  ``timeout``, ``notifies()`` (the change listener, :mod:`.notifications`), keeps it: no
  statement is in flight then, and its end is no failure.

  Other ways were weighed: a cancel request (``conn.cancel()``) goes to the same frozen
  postmaster; a watchdog thread shutting down the socket of a statement past its deadline
  works too, but needs every statement, commit and ping registered with it, while the
  driver's own wait loop already sees all of them and keeps an exact deadline.

So a request that needs a frozen database waits at most about 2 T (a ping, then a connect)
before its 503. Migrations are exempt (:func:`unbounded`): they may rightly run long.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

#: The client waits this much longer than the server's own ``statement_timeout``.
CLIENT_MARGIN_SECONDS = 0.5


class DeadlineExpired(Exception):
    """Mixed into the driver's error when the client-side deadline expired: the database
    did not answer in time, and trying again at once would only wait as long again."""


def sqlite_pragmas(timeout: int):
    """The ``connect`` listener setting each SQLite connection (https://sqlite.org/pragma.html).

    WAL lets readers run beside one writer; NORMAL sync is safe with WAL (a power loss may
    drop the last commits, never corrupt). A writer waits ``timeout`` seconds for the lock,
    then fails (503). Temporary tables stay in memory. No memory map (``mmap_size``): every
    page of the file that a worker touched would count in its RSS, which would then grow
    with the token table (``bench/``); SQLite's page cache is bounded instead.
    """

    def set_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={timeout * 1000}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    return set_pragmas


def _bounded_connection_class():
    import psycopg
    from psycopg import errors

    class StatementDeadline(psycopg.OperationalError, DeadlineExpired):
        """The database did not answer within the client-side deadline."""

    class BoundedConnection(psycopg.Connection):
        """A psycopg connection whose every wait on the server ends after ``deadline`` s."""

        deadline: float | None = None

        def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
            if timeout is not None:  # the caller's own wait (``notifies(timeout=…)``): not a failure
                return super().wait(gen, interval=interval, timeout=timeout)
            try:
                return super().wait(gen, interval=interval, timeout=self.deadline)
            except errors._WaitTimeout:
                self.close()  # a statement is in flight: the connection cannot be reused
                raise StatementDeadline(f"the database did not answer within {self.deadline:g} s") from None

    return BoundedConnection


def bound_postgres(engine: Engine, timeout: int) -> None:
    """Make the engine's connections :class:`BoundedConnection`\\ s (SQLAlchemy ``do_connect``)."""
    connection_class = _bounded_connection_class()
    deadline = timeout + CLIENT_MARGIN_SECONDS

    @event.listens_for(engine, "do_connect")
    def connect(_dialect, _record, cargs, cparams):
        connection = connection_class.connect(*cargs, **cparams)
        connection.deadline = deadline
        return connection


@contextlib.contextmanager
def unbounded(connection: Connection) -> Iterator[None]:
    """Lift the statement bounds on one connection (migrations), and restore them after."""
    dbapi_connection = connection.connection.dbapi_connection
    deadline = getattr(dbapi_connection, "deadline", None)
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SET statement_timeout = 0"))
        connection.commit()  # a session setting, outside the migration's own transaction
        dbapi_connection.deadline = None
    try:
        yield
    finally:
        if postgres:
            dbapi_connection.deadline = deadline
            if not dbapi_connection.closed:
                connection.rollback()
                connection.execute(text("RESET statement_timeout"))
                connection.commit()
