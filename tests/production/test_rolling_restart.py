"""Rolling restart behind nginx (issue 16): under steady load through the proxy
(client_credentials at /token, /introspect, /jwks), each instance in turn is stopped with
SIGTERM and started again. No request fails: nginx retries a refused connection, or a
request sent on a kept-alive connection the stopping instance closed unread, on the other
instance. And the stopping instance finishes what it has in flight: a /token request
whose body is still arriving when SIGTERM comes (sent to the instance directly, where
nginx cannot hide a dropped request by resending it) is answered.

``.venv/bin/python -m pytest -q -s tests/production/test_rolling_restart.py`` prints the
figures recorded in bench/RESULTS.md."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import pytest

from idp.demo.seed import MACHINE_SCOPE
from tests.idp.operations.test_graceful_shutdown import begin_token_request, finish_token_request
from tests.production.flows import machine_token, register_service
from tests.production.instances import demo_data_provider

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

THREADS = 4
#: nginx leaves a server out for fail_timeout after a failed connection
#: (deploy/nginx/idp.conf): a restarted instance is back in the rotation after it.
FAIL_TIMEOUT = 5
MAX_SECONDS = 90  # the load stops by itself


class Load:
    """``THREADS`` clients through nginx, each looping over token, introspect and jwks."""

    def __init__(self, deployment, service: dict, provider: dict) -> None:
        self.deployment, self.service, self.provider = deployment, service, provider
        self.counts: Counter = Counter()
        self.failures: list[str] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run) for _ in range(THREADS)]

    def _record(self, name: str, failure: str | None) -> None:
        with self.lock:
            self.counts[name] += 1
            if failure:
                self.failures.append(f"{name}: {failure}")

    def _call(self, name: str, call, good) -> object:
        try:
            response = call()
        except Exception as error:  # a connection reset or a timeout is a failed request
            self._record(name, repr(error))
            return None
        ok = response.status_code == 200 and good(response)
        failed = None if ok else f"{response.status_code} {response.text[:200]}"
        self._record(name, failed)
        return None if failed else response

    def _run(self) -> None:
        http = self.deployment.browser()
        url = self.deployment.url
        deadline = time.monotonic() + MAX_SECONDS
        while not self.stopping.is_set() and time.monotonic() < deadline:
            token = self._call(
                "token",
                lambda: machine_token(url, self.service, http=http),
                lambda r: "access_token" in r.json(),
            )
            if token is not None:
                self._call(
                    "introspect",
                    lambda: http.post(
                        f"{url}/introspect",
                        data={"token": token.json()["access_token"], **self.provider},  # noqa: B023
                        timeout=15,
                    ),
                    lambda r: r.json().get("active") is True and r.json().get("scope") == MACHINE_SCOPE,
                )
            self._call("jwks", lambda: http.get(f"{url}/jwks", timeout=15), lambda r: bool(r.json()["keys"]))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


def test_a_rolling_restart_under_load_fails_no_request(deployment):
    service = register_service(deployment.instances[0], scope=MACHINE_SCOPE)
    provider = demo_data_provider(deployment.instances)
    stops = []
    started = time.monotonic()
    with Load(deployment, service, provider) as load:
        time.sleep(2)
        for instance in deployment.instances:
            in_flight, rest = begin_token_request(instance.url, service)
            before = time.monotonic()
            instance.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert instance.process.poll() is None, "exited with a request in flight"
            finish_token_request(in_flight, rest)
            assert instance.process.wait(timeout=30) == 0
            stops.append(time.monotonic() - before)
            time.sleep(1)  # the other instance alone takes the load
            instance.start()
            time.sleep(FAIL_TIMEOUT + 1)
        time.sleep(1)
    duration = time.monotonic() - started

    log = deployment.proxy.access_log()
    retried = sum(1 for upstreams, *_ in log if len(upstreams) > 1)
    unread = deployment.proxy.error_log.count("upstream prematurely closed connection")
    by_instance = Counter(upstreams[-1] for upstreams, *_ in log)
    statuses = Counter(status for _, status, *_ in log)
    total = sum(load.counts.values())
    print(
        f"\nrolling restart: {total} requests in {duration:.1f} s ({dict(load.counts)}), "
        f"{len(load.failures)} failed; nginx: statuses {dict(statuses)}, answered by {dict(by_instance)}, "
        f"{retried} retried on the other instance ({unread} sent on a connection closed unread, "
        "the others refused); "
        f"SIGTERM to exit, a request in flight answered first: {', '.join(f'{s:.2f} s' for s in stops)}"
    )
    assert load.failures == []
    assert all(thread.is_alive() is False for thread in load.threads)
    assert min(load.counts[name] for name in ("token", "introspect", "jwks")) > 100, load.counts
    assert set(statuses) == {200}, statuses
    # Both instances answered, and each came back after its restart (the last requests).
    upstreams = [server.url.removeprefix("http://") for server in deployment.instances]
    assert set(by_instance) == set(upstreams), by_instance
    tail = Counter(entry[0][-1] for entry in log[-len(log) // 10 :])
    assert set(tail) == set(upstreams), tail
