"""Database wiring: SQLite pragmas, embedded auto-migration, and 503 on outages."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine

from idp.extensions import db

MIGRATIONS_DIR = str(Path(__file__).parents[1] / "migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Per-connection settings (https://sqlite.org/pragma.html).

    WAL lets readers run beside one writer; NORMAL sync is safe with WAL (a power loss may
    drop the last commits, never corrupt). Temporary tables stay in memory. No memory map
    (``mmap_size``): every page of the file that a worker touched would count in its RSS,
    which would then grow with the token table (``bench/``); SQLite's page cache is
    bounded instead.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def init_app(app: Flask) -> None:
    if app.config["DATABASE_URL"].startswith("sqlite"):
        with app.app_context():
            engine: Engine = db.engine
            event.listen(engine, "connect", _sqlite_pragmas)


def upgrade_schema(app: Flask) -> None:
    """Apply every Alembic migration (``idp db upgrade``)."""
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)


def commit_request() -> None:
    """Commit the request's ORM session, if it has one: a read-only request never made one.

    The hot endpoints read through :mod:`idp.database.reads`; creating a session only to
    commit nothing would cost them more than their own work (``bench/RESULTS.md``).
    """
    if db.session.registry.has():
        db.session.commit()


def rollback_request() -> None:
    """Roll the request's ORM session back, if it has one."""
    if db.session.registry.has():
        db.session.rollback()


def is_data_error(error: BaseException) -> bool:
    """A value the database refuses (PEP 249 ``DataError``: too long, out of range, a NUL
    byte), from SQLAlchemy or straight from the driver: the request's fault, not an outage."""
    cause = getattr(error, "orig", None) or error
    return any(kind.__name__ == "DataError" for kind in type(cause).__mro__)
