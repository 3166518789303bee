"""A real ``idp serve`` through database outages: 503 within seconds, recovery without restart.

- PostgreSQL stopped (``pg_ctl stop -m fast``), then started again.
- PostgreSQL frozen (``SIGSTOP`` on the postmaster and every backend: its kernel still
  acknowledges TCP, so only the client-side deadline of :mod:`idp.database.bounds` ends the
  wait), then continued.
- SQLite locked by another writer (``busy_timeout``), then released.
- SQLite read-only (file and directory), then writable again: the connections opened
  meanwhile are read-only for good, and :mod:`idp.database.outages` drops them.

Each time, a request that needs the database gets a 503 ``temporarily_unavailable`` with
``Retry-After`` within 5 s, ``/jwks`` keeps answering from its cache, and the server
answers normally again within seconds of the database's return.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from bench import postgres
from idp.database import notifications
from tests.e2e_server import NO_DAC_OVERRIDE, start_server

pytestmark = pytest.mark.e2e
WITHIN = 5.0  # seconds to a 503, and to recovery
CACHE_SECONDS = 1  # so that the key ring's refresh meets the outage within the test


def _timed(call) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_unavailable(response: requests.Response, seconds: float) -> float:
    assert (response.status_code, response.json()["error"]) == (503, "temporarily_unavailable")
    assert response.headers["Retry-After"] == "5"
    assert seconds < WITHIN
    return seconds


class Calls:
    """The requests the tests make: one that needs the database, one that must not."""

    def __init__(self, server) -> None:
        service = server.idp_json(
            "clients", "create", "--name", "fs", "--allowed-scopes", "dgfip_statistiques", "--json"
        )
        self.url = server.url
        self.auth = (service["client_id"], service["client_secret"])
        answer = self.token()
        assert answer.status_code == 200, answer.text
        self.access_token = answer.json()["access_token"]

    def token(self) -> requests.Response:
        """``client_credentials``: the client's row is read at every request."""
        return requests.post(
            self.url + "/token",
            data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
            auth=self.auth,
            timeout=30,
        )

    def revoke(self) -> requests.Response:
        """A write: the revocation of a self-contained token is stored (again)."""
        return requests.post(
            self.url + "/revoke", data={"token": self.access_token}, auth=self.auth, timeout=30
        )

    def jwks(self) -> requests.Response:
        return requests.get(self.url + "/jwks", timeout=30)

    def recovers(self, call) -> float:
        """Seconds until ``call`` answers 200, then answers 200 ten times in a row."""
        started = time.monotonic()
        while call().status_code != 200:
            assert time.monotonic() - started < WITHIN, "no recovery"
            time.sleep(0.1)
        recovered = time.monotonic() - started
        assert [call().status_code for _ in range(10)] == [200] * 10
        return recovered


@pytest.mark.postgres
@pytest.mark.skipif(not postgres.available(), reason="PostgreSQL is not installed")
@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_postgres_stopped_or_frozen(tmp_path, fault, measure):
    with postgres.running_cluster() as cluster:
        server = start_server(
            tmp_path,
            workers=2,
            env={"IDP_DATABASE_URL": cluster.url, "IDP_KEYS_CACHE_SECONDS": str(CACHE_SECONDS)},
        )
        try:
            calls = Calls(server)
            jwks = calls.jwks().json()
            down, up = (cluster.stop, cluster.start) if fault == "stopped" else (cluster.freeze, cluster.thaw)
            down()
            try:
                if fault == "frozen":
                    # A client_credentials token needs no database while the change listener's
                    # lease holds (idp.database.notifications): a frozen server that sends no
                    # echo is trusted that long at most, then every request checks again.
                    time.sleep(notifications.LEASE_SECONDS)
                measure("503 after (s)", round(_assert_unavailable(*_timed(calls.token)), 2))
                time.sleep(CACHE_SECONDS)
                answers = [_timed(calls.jwks) for _ in range(4)]  # a refresh meets the outage
                assert [(response.status_code, response.json()) for response, _ in answers] == [
                    (200, jwks)
                ] * 4
                assert all(seconds < WITHIN for _, seconds in answers)
                _assert_unavailable(*_timed(calls.token))
            finally:
                up()
            measure("recovered, no restart, after (s)", round(calls.recovers(calls.token), 2))
        finally:
            server.stop()


def test_sqlite_locked(tmp_path, measure):
    server = start_server(tmp_path, workers=2)
    try:
        calls = Calls(server)
        writer = sqlite3.connect(Path(server.env["IDP_INSTANCE_PATH"]) / "idp.sqlite3")
        writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            measure("503 after (s)", round(_assert_unavailable(*_timed(calls.revoke)), 2))
            assert calls.token().status_code == 200  # reads go on
        finally:
            writer.rollback()
            writer.close()
        measure("recovered, no restart, after (s)", round(calls.recovers(calls.revoke), 2))
    finally:
        server.stop()


def test_sqlite_read_only_then_writable(tmp_path, measure):
    """Writes are refused while the file is read-only, and work again once it is writable.

    A connection opened while the file is read-only stays read-only. To have some for sure,
    the server's one worker is killed meanwhile: Granian starts another, whose connections
    are all opened read-only. Then, once the file is writable, no restart is needed.
    """
    prefix = NO_DAC_OVERRIDE if os.geteuid() == 0 else None  # root would ignore the modes
    server = start_server(tmp_path, workers=1, prefix=prefix)
    instance = Path(server.env["IDP_INSTANCE_PATH"])
    database = instance / "idp.sqlite3"

    def read_only(flag: bool) -> None:
        database.chmod(0o444 if flag else 0o644)
        instance.chmod(0o555 if flag else 0o755)

    try:
        calls = Calls(server)
        assert calls.revoke().status_code == 200
        read_only(True)
        try:
            (worker,) = worker_pids(server.process.pid)
            os.kill(worker, signal.SIGKILL)
            started = time.monotonic()
            while not _answers(calls.jwks):  # Granian starts another worker
                assert time.monotonic() - started < 20, "no worker answers"
                time.sleep(0.1)
            assert worker not in worker_pids(server.process.pid)
            assert calls.token().status_code == 200  # reads go on
            measure("503 after (s)", round(_assert_unavailable(*_timed(calls.revoke)), 2))
            assert calls.jwks().status_code == 200
        finally:
            read_only(False)
        measure("recovered, no restart, after (s)", round(calls.recovers(calls.revoke), 2))

        # Read-only under a running server: any write on a connection opened meanwhile is
        # refused (503, at once), and none stays refused afterwards.
        read_only(True)
        try:
            with ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(lambda _: _timed(calls.revoke), range(64)))
            for response, seconds in answers:
                if response.status_code != 200:
                    _assert_unavailable(response, seconds)
        finally:
            read_only(False)
        calls.recovers(calls.revoke)
    finally:
        read_only(False)
        server.stop()


def _answers(call) -> bool:
    try:
        return call().status_code == 200
    except requests.ConnectionError:
        return False


def worker_pids(pid: int) -> list[int]:
    """The child processes of ``pid`` (Granian's workers), from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]
