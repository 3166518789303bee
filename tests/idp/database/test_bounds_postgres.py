"""Every wait on PostgreSQL is bounded (idp.database.bounds), even on a frozen server.

Skipped when PostgreSQL's server binaries are not installed (``make test`` installs them).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from bench import postgres
from idp import create_app, database
from idp.database import reads
from idp.database.bounds import DeadlineExpired, unbounded
from idp.extensions import db
from idp.models import Client

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not postgres.available(), reason="PostgreSQL is not installed"),
]
TIMEOUT = 2  # IDP_DATABASE_TIMEOUT's default
ANY_CLIENT = select(Client.id).where(Client.client_id == "nobody")


@pytest.fixture(scope="module")
def cluster():
    with postgres.running_cluster() as running:
        yield running


@pytest.fixture
def app(tmp_path, cluster):
    application = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": cluster.url, "TESTING": True})
    database.upgrade_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


def _seconds(call) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        call()
    except Exception as error:
        return error, time.monotonic() - started
    return None, time.monotonic() - started


def test_a_slow_statement_is_cancelled_by_the_server(app):
    with app.app_context():
        error, seconds = _seconds(lambda: db.session.execute(text("SELECT pg_sleep(10)")))
        db.session.rollback()
    assert isinstance(error, OperationalError)
    assert type(error.orig).__name__ == "QueryCanceled"
    # The server times the statement on its own timer (setitimer, from its receipt), this
    # test on the monotonic clock: one make test measured 1.993 s for the 2 s timeout.
    assert TIMEOUT - 0.05 <= seconds < TIMEOUT + 1


def test_a_frozen_server_is_given_up_on_and_found_again(app, cluster):
    with app.app_context():
        assert reads.first(ANY_CLIENT, {}) is None  # this thread's connection, open
        assert db.session.execute(ANY_CLIENT).first() is None
        db.session.commit()  # the pooled connection, back in the pool
        cluster.freeze()
        try:
            hot, hot_seconds = _seconds(lambda: reads.first(ANY_CLIENT, {}))
            orm, orm_seconds = _seconds(lambda: db.session.execute(ANY_CLIENT).first())
            db.session.rollback()
        finally:
            cluster.thaw()
        assert isinstance(hot, DBAPIError) and isinstance(hot.orig, DeadlineExpired)
        assert hot_seconds < TIMEOUT + 1  # no second try after a deadline
        assert isinstance(orm, DBAPIError)
        assert orm_seconds < 2 * TIMEOUT + 1  # the pool's ping, then a new connection
        assert reads.first(ANY_CLIENT, {}) is None
        assert db.session.execute(ANY_CLIENT).first() is None


def test_migrations_are_not_bounded_and_the_bounds_come_back(app):
    with app.app_context():
        with db.engine.connect() as connection, unbounded(connection):
            connection.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": TIMEOUT + 1})
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == f"{TIMEOUT}s"
        with db.engine.connect() as connection:
            assert connection.connection.dbapi_connection.deadline == TIMEOUT + 0.5
