"""What each ``idp serve`` worker does before its first request (idp.operations.serving)."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
import requests

from idp.extensions import db
from idp.operations.scheduling import SWITCH_INTERVAL, schedule_worker_threads
from idp.operations.serving import warm_caches
from tests.e2e_server import start_server
from tests.idp.operations.test_database_outages import worker_pids


def test_the_key_ring_is_loaded_before_the_first_request(app):
    """So that /jwks can answer from it should the database fail before anyone asked."""
    assert "idp_keyring" not in app.extensions
    warm_caches(app)
    assert app.extensions["idp_keyring"]._value is not None


@pytest.mark.sqlite_only("makes the SQLite file impossible to open")
def test_a_database_down_at_start_does_not_stop_the_worker(app, tmp_path):
    app.config["KEYS_CACHE_SECONDS"] = 60
    with app.app_context():
        db.engine.dispose()
    (tmp_path / "instance" / "idp.sqlite3").unlink()
    (tmp_path / "instance" / "idp.sqlite3").mkdir()  # cannot be opened
    warm_caches(app)  # logged, not raised
    assert "idp_keyring" not in app.extensions or app.extensions["idp_keyring"]._value is None


NO_BATCH = pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="no SCHED_BATCH on this system")


@pytest.mark.e2e
@NO_BATCH
def test_every_thread_of_a_worker_is_batch_scheduled_and_the_main_process_is_not(tmp_path):
    """idp.operations.scheduling: Granian's runtime threads, the event loop, the application
    threads and the application's own background threads all inherit it."""
    server = start_server(tmp_path, workers=2)
    try:
        requests.post(server.url + "/token", data={"grant_type": "client_credentials"}, timeout=5)
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2
        threads_of = _threads_once_each_worker_has_started(workers)
        for worker in workers:
            threads = threads_of[worker]
            assert len(threads) > 3  # the loop, Granian's runtime, the application's threads
            policies = {tid: os.sched_getscheduler(tid) for tid in threads}
            assert policies == dict.fromkeys(threads, os.SCHED_BATCH)
        assert os.sched_getscheduler(server.process.pid) == os.SCHED_OTHER
    finally:
        server.stop()


def _threads_once_each_worker_has_started(workers: list[int], seconds: float = 10) -> dict:
    """Each worker's thread ids, once each has more than the three it boots with.

    The server answers as soon as one worker is up, while the other may still be starting
    Granian's runtime and its application threads (seen once: 3 threads just after the
    first answer, 14 two seconds later). The count is polled until each worker has them,
    or the deadline passes and the caller's assertion fails.
    """
    deadline = time.monotonic() + seconds
    while True:
        threads_of = {worker: [int(tid) for tid in os.listdir(f"/proc/{worker}/task")] for worker in workers}
        if all(len(threads) > 3 for threads in threads_of.values()) or time.monotonic() > deadline:
            return threads_of
        time.sleep(0.05)


@NO_BATCH
def test_the_switch_interval_comes_with_batch_scheduling():
    """On a thread of its own: the policy is per thread, and this one ends with the test."""
    before = sys.getswitchinterval()
    seen = {}

    def on_a_new_thread() -> None:
        seen["applied"] = schedule_worker_threads()
        seen["policy"] = os.sched_getscheduler(0)
        seen["interval"] = sys.getswitchinterval()

    try:
        thread = threading.Thread(target=on_a_new_thread)
        thread.start()
        thread.join()
    finally:
        sys.setswitchinterval(before)
    assert seen == {"applied": True, "policy": os.SCHED_BATCH, "interval": pytest.approx(SWITCH_INTERVAL)}
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # this thread's is left alone


@NO_BATCH
def test_a_refused_batch_policy_leaves_the_scheduling_as_it_was(monkeypatch, caplog):
    """As under a seccomp filter without ``sched_setscheduler``: logged, and nothing changes."""

    def refused(*_args) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", refused)
    before = sys.getswitchinterval()
    assert schedule_worker_threads() is False
    assert sys.getswitchinterval() == before
    assert "SCHED_BATCH refused" in caplog.text
