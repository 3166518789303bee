"""Connections that an outage left unusable are dropped, so the server recovers by itself.

SQLAlchemy drops a connection from its pool (and renews the whole pool) when the driver's
error means a *disconnect*. Some outages leave a connection that works, in a way, but will
never work again, and that the driver does not call disconnected:

- SQLite: a database file (or its directory) that was read-only when the connection was
  opened makes that connection read-only for good ("attempt to write a readonly
  database"), even once the file is writable again; likewise "disk I/O error" and "unable
  to open database file" after a vanished or remounted file.
- PostgreSQL: a connection to a server that is shutting down or starting (SQLSTATE 57P01,
  57P02, 57P03), or to a standby after a failover, which refuses writes (25006).

:func:`drop_broken_connections` marks those as disconnects (SQLAlchemy's ``handle_error``
event), so that the next checkout opens a fresh connection: writes come back as soon as
the database does, with no restart. A connection closed by the client-side deadline
(:mod:`.bounds`) is already one: the psycopg dialect finds it closed.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_MESSAGES = ("attempt to write a readonly database", "disk i/o error", "unable to open database file")
POSTGRES_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "25006"})


def is_broken_connection(error: BaseException) -> bool:
    """Does this driver error mean that the connection will not work again?"""
    if getattr(error, "sqlstate", None) in POSTGRES_SQLSTATES:
        return True
    message = str(error).lower()
    return type(error).__module__.startswith("sqlite3") and any(text in message for text in SQLITE_MESSAGES)


def drop_broken_connections(engine: Engine) -> None:
    @event.listens_for(engine, "handle_error")
    def mark_disconnect(context) -> None:
        if not context.is_disconnect and is_broken_connection(context.original_exception):
            context.is_disconnect = True
