"""Database wiring: bounded waits (:mod:`.bounds`), migrations, the request's session."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine

from idp.database import bounds, notifications, outages
from idp.extensions import db

MIGRATIONS_DIR = str(Path(__file__).parents[1] / "migrations")


def init_app(app: Flask) -> None:
    """Bound every wait on the database (:mod:`.bounds`); drop what an outage broke
    (:mod:`.outages`); listen for the changes the caches must know of (:mod:`.notifications`)."""
    timeout = app.config["DATABASE_TIMEOUT"]
    with app.app_context():
        engine: Engine = db.engine
    outages.drop_broken_connections(engine)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", bounds.sqlite_pragmas(timeout))
    elif engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        bounds.bound_postgres(engine, timeout)
    notifications.init_app(app, engine)


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
