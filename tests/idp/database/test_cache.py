"""The per-process timed cache (idp.database.cache): stale while error, no waiting, apart."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from idp.database.cache import TimedValue
from idp.extensions import db
from idp.models import RegistryProvider


class Outage(OperationalError):
    def __init__(self) -> None:
        super().__init__("SELECT 1", None, Exception("the database is down"))


@pytest.fixture
def config():
    return {"TTL": 60}


def test_a_failed_reload_keeps_serving_the_previous_value(app, config, caplog, monkeypatch):
    # Alembic's logging set-up (the migrations of the template instance) disables the loggers
    # that existed before it.
    monkeypatch.setattr(logging.getLogger("idp.database.cache"), "disabled", False)
    loads = iter([1, Outage(), 2])

    def load(previous):
        value = next(loads)
        if isinstance(value, Exception):
            raise value
        return value

    cache = TimedValue(config, "TTL", load, name="numbers")
    with app.app_context():
        assert cache.get() == 1
        config["TTL"] = 0  # expired at every use from now on
        assert cache.get() == 1  # the reload failed
        assert "numbers: reload failed (Outage)" in caplog.text
        assert _eventually(cache.get, 2)  # tried again, in the background


def test_after_a_failure_no_request_waits_for_a_reload(app, config):
    release = threading.Event()
    loads = []

    def load(previous):
        loads.append(previous)
        if len(loads) == 2:
            raise Outage()
        if len(loads) == 3:
            release.wait(10)  # the database hangs
        return len(loads)

    cache = TimedValue(config, "TTL", load)
    with app.app_context():
        assert cache.get() == 1
        config["TTL"] = 0
        assert cache.get() == 1  # the second load failed (this request waited for it)
        started = time.monotonic()
        assert [cache.get() for _ in range(5)] == [1] * 5
        assert time.monotonic() - started < 0.1  # the third load hangs in the background
        release.set()
        assert _eventually(lambda: cache.get() >= 3, True)  # back, loading in the request again
    assert len(loads) >= 3


def _eventually(get, expected, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if get() == expected:
            return True
        time.sleep(0.01)
    return False


def test_the_first_load_has_nothing_to_fall_back_on(app, config):
    def load(previous):
        raise Outage()

    with app.app_context(), pytest.raises(Outage):
        TimedValue(config, "TTL", load).get()


def test_others_do_not_wait_while_one_thread_reloads(app, config):
    reloading, release = threading.Event(), threading.Event()

    def load(previous):
        if previous is None:
            return "old"
        reloading.set()
        release.wait(10)
        return "new"

    cache = TimedValue(config, "TTL", load)
    with app.app_context():
        assert cache.get() == "old"
    config["TTL"] = 0

    def reload_in_a_thread():
        with app.app_context():
            cache.get()

    reloader = threading.Thread(target=reload_in_a_thread)
    reloader.start()
    try:
        assert reloading.wait(10)
        started = time.monotonic()
        with app.app_context():
            assert cache.get() == "old"
        assert time.monotonic() - started < 0.1
    finally:
        release.set()
        reloader.join(10)
    config["TTL"] = 60
    with app.app_context():
        assert cache.get() == "new"


def test_the_load_runs_apart_from_the_requests_session(app, config):
    """A reload's failure leaves the request's own work intact; its session is not used."""
    sessions = []

    def load(previous):
        sessions.append(db.session())
        if previous is not None:
            db.session.execute(db.text("SELECT * FROM no_such_table"))  # fails
        return "value"

    cache = TimedValue(config, "TTL", load)
    with app.app_context():
        cache.get()
        config["TTL"] = 0
        db.session.add(RegistryProvider(slug="acme", label="Acme", kind="data_provider", position=99))
        db.session.flush()
        assert cache.get() == "value"  # served stale
        db.session.commit()
        assert db.session.get(RegistryProvider, "acme") is not None
        assert all(session is not db.session() for session in sessions)
