"""Acceptance (issue 16, "Observability") against a real ``idp serve`` (Granian, 2 workers):

- ``/readyz`` turns 503 within 2 s of stopping PostgreSQL, and 200 again once it is back,
  with no restart, while ``/healthz`` answers 200 throughout;
- ``/metrics`` (``--metrics-port``, and ``IDP_METRICS_TOKEN`` on the main port) parses with
  prometheus_client's parser, adds up both workers, and its counters move under a short load.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bench import postgres
from tests.e2e_server import free_port, start_server
from tests.idp.operations.test_database_outages import worker_pids

pytestmark = pytest.mark.e2e
TOKEN = "metrics-token-for-the-e2e-test-0123456789"


def poll(call, wanted: int, within: float) -> float:
    """Seconds until ``call()`` answers ``wanted``; fails past ``within``."""
    started = time.monotonic()
    while True:
        status = call().status_code
        elapsed = time.monotonic() - started
        if status == wanted:
            return elapsed
        assert elapsed < within, f"still {status} after {elapsed:.2f} s"
        time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.skipif(not postgres.available(), reason="PostgreSQL is not installed")
def test_readyz_follows_postgresql_without_a_restart(tmp_path):
    with postgres.running_cluster() as cluster:
        server = start_server(tmp_path, workers=2, env={"IDP_DATABASE_URL": cluster.url})
        try:

            def readyz() -> requests.Response:
                return requests.get(server.url + "/readyz", timeout=10)

            ready = readyz()
            assert (ready.status_code, ready.json()) == (
                200,
                {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "keys": "ok"}},
            )
            cluster.stop()
            try:
                assert poll(readyz, 503, within=2.0) < 2.0
                down = readyz()
                assert down.json() == {
                    "status": "unavailable",
                    "checks": {"database": "failed", "migrations": "skipped", "keys": "skipped"},
                }
                assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
            finally:
                cluster.start()
            poll(readyz, 200, within=10.0)
            assert [readyz().status_code for _ in range(6)] == [200] * 6  # both workers
            assert server.process.poll() is None  # the same server, never restarted
        finally:
            server.stop()


def samples(text: str) -> dict[tuple, float]:
    """Every sample of an exposition: (name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict, name: str, **labels) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_add_up_both_workers_and_move_under_load(tmp_path):
    metrics_port = free_port()
    server = start_server(
        tmp_path,
        workers=2,
        env={"IDP_METRICS_TOKEN": TOKEN},
        serve_options=("--metrics-port", str(metrics_port)),
    )
    try:
        service = server.idp_json(
            "clients", "create", "--name", "fs", "--allowed-scopes", "dgfip_statistiques", "--json"
        )
        auth = (service["client_id"], service["client_secret"])

        def scrape() -> dict:
            answer = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
            assert answer.status_code == 200
            return samples(answer.text)

        before = scrape()
        for _ in range(20):  # a connection each: Granian's workers share connections, not requests
            token = requests.post(
                server.url + "/token",
                data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
                auth=auth,
                timeout=10,
            )
            assert token.status_code == 200, token.text
            assert requests.get(server.url + "/jwks", timeout=10).status_code == 200
        wrong = requests.post(server.url + "/token", data={"grant_type": "client_credentials"}, timeout=10)
        assert wrong.status_code == 401
        after = scrape()

        def moved(name: str, **labels) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert moved("idp_http_requests_total", route="/token", method="POST", status="200") == 20
        assert moved("idp_http_requests_total", route="/token", method="POST", status="401") == 1
        assert moved("idp_http_requests_total", route="/jwks", method="GET", status="200") == 20
        assert moved("idp_http_request_duration_seconds_count", route="/token") == 21
        assert moved("idp_tokens_issued_total", grant_type="client_credentials") == 20
        # Each worker wrote its own file (prometheus_client names them by pid), and the sums
        # above are of every one of them: the requests came on 41 connections.
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2
        written = {
            int(path.stem.rsplit("_", 1)[1])
            for path in Path(tempfile.gettempdir()).glob("idp-metrics-*/counter_*.db")
        }
        assert set(workers) <= written
        ages = [v for (name, _), v in after.items() if name == "idp_signing_key_age_seconds"]
        assert len(ages) == 2 and all(age >= 0 for age in ages)  # ES256 and RS256

        # The same sums on the main port with the token; nothing without it.
        assert requests.get(server.url + "/metrics", timeout=10).status_code == 401
        with_token = requests.get(
            server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert with_token.status_code == 200
        assert with_token.headers["Content-Type"].startswith("text/plain")
        on_main = samples(with_token.text)
        assert value(on_main, "idp_tokens_issued_total", grant_type="client_credentials") == value(
            after, "idp_tokens_issued_total", grant_type="client_credentials"
        )
    finally:
        server.stop()
