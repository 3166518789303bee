"""Per-client rate limits (IDP_CLIENT_RATE_LIMIT) on /token, /introspect and /checktoken,
in each worker's memory, through both adapters (the lean path and the Flask views)."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from idp import create_app
from idp.config import ConfigurationError
from idp.oauth2.rate_limits import SweptMemoryStorage
from tests.idp.conftest import make_client
from tests.idp.oauth2.introspection.conftest import make_data_provider

RATE = "3/minute"
#: Seconds before the end of a minute within which a test waits for the next one to start.
BOUNDARY_MARGIN = 5


@pytest.fixture(autouse=True)
def clear_of_a_window_boundary():
    """Start each test at least :data:`BOUNDARY_MARGIN` seconds before a minute ends.

    The sliding window counter floors its weighted count (``limits``: ``floor(previous ×
    remaining share + current)``): just after a minute's boundary, the previous minute's 3
    requests weigh 2.99, floored to 2, and a 4th passes. Past the boundary that is the
    documented approximation; these tests count exact budgets (a fresh clone's ``make test``
    once saw a 4th ``/checktoken`` through, at 65a4a95).
    """
    into_the_minute = time.time() % 60
    if into_the_minute > 60 - BOUNDARY_MARGIN:
        time.sleep(60 - into_the_minute + 0.05)


@pytest.fixture(params=[True, False], ids=["lean", "flask"])
def app_settings(request) -> dict:
    return {"CLIENT_RATE_LIMIT": RATE, "LEAN_ENDPOINTS": request.param}


def token_request(client, sp, secret=None):
    """An authenticated client's token request (its code is made up: 400 invalid_grant)."""
    return client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "made-up", "redirect_uri": sp.redirect_uri},
        auth=(sp.client_id, secret or sp.client_secret),
    )


def introspect(client, dp, secret=None):
    return client.post(
        "/introspect", data={"token": "not-a-token"}, auth=(dp.client_id, secret or dp.client_secret)
    )


def checktoken(client, dp, path="/checktoken", secret=None):
    return client.post(
        path,
        data={"token": "not-a-token", "client_id": dp.client_id, "client_secret": secret or dp.client_secret},
    )


ENDPOINTS = {
    "token": (lambda app, namespace: make_client(app), token_request, 400),
    "introspect": (lambda app, namespace: make_data_provider(app, namespace), introspect, 200),
    "checktoken": (
        lambda app, namespace: make_data_provider(app, namespace, auth_method="client_secret_post"),
        checktoken,
        200,
    ),
    "api/v2/checktoken": (
        lambda app, namespace: make_data_provider(app, namespace, auth_method="client_secret_post"),
        lambda client, dp, secret=None: checktoken(client, dp, "/api/v2/checktoken", secret),
        200,
    ),
}


def assert_rate_limited(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["error"] == "rate_limited"
    assert body["error_description"].startswith("too many requests from this client at this endpoint")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_past_the_budget_a_client_gets_429_with_retry_after(app, client, endpoint):
    register, send, status = ENDPOINTS[endpoint]
    caller, other = register(app, "dgfip"), register(app, "cnaf")
    assert [send(client, caller).status_code for _ in range(3)] == [status] * 3
    assert_rate_limited(send(client, caller))
    assert send(client, other).status_code == status  # another client has its own budget


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_failed_authentications_cost_no_budget(app, client, endpoint):
    """The limit is per authenticated client: wrong credentials neither count nor spend the
    budget of the client they name (they are 401 invalid_client, as always)."""
    register, send, status = ENDPOINTS[endpoint]
    caller = register(app, "dgfip")
    assert {send(client, caller, secret="wrong").status_code for _ in range(5)} == {401}
    assert [send(client, caller).status_code for _ in range(3)] == [status] * 3


def test_each_endpoint_has_its_own_budget_and_both_checktoken_paths_share_one(app, client):
    dp = make_data_provider(app, "dgfip", auth_method="client_secret_post")
    for _ in range(2):
        assert checktoken(client, dp).status_code == 200
    assert checktoken(client, dp, "/api/v2/checktoken").status_code == 200
    assert_rate_limited(checktoken(client, dp, "/api/v2/checktoken"))
    assert_rate_limited(checktoken(client, dp))
    assert (
        client.post(
            "/introspect", data={"token": "x", "client_id": dp.client_id, "client_secret": dp.client_secret}
        ).status_code
        == 200
    )


def test_revocation_is_not_limited(app, client):
    sp = make_client(app)
    for _ in range(6):
        assert (
            client.post("/revoke", data={"token": "x"}, auth=(sp.client_id, sp.client_secret)).status_code
            == 200
        )


def test_an_empty_setting_disables_the_limit(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "CLIENT_RATE_LIMIT": ""})
    assert app.extensions["client_rate_limits"] is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"CLIENT_RATE_LIMIT": "fast"},
            "IDP_CLIENT_RATE_LIMIT must be a rate such as 200/second, got 'fast'",
        ),
        ({"CLIENT_RATE_LIMIT": 200}, "IDP_CLIENT_RATE_LIMIT must be a rate such as 200/second, got '200'"),
        (
            {"REDIS_URL": "http://127.0.0.1:6379"},
            "IDP_REDIS_URL must be a redis://, rediss:// or redis+unix:// URL",
        ),
    ],
)
def test_malformed_settings_fail_at_boot(tmp_path, settings, message):
    with pytest.raises(ConfigurationError) as failure:
        create_app({"INSTANCE_PATH": str(tmp_path / "instance"), **settings})
    assert str(failure.value) == message


def test_several_rates_all_apply(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "CLIENT_RATE_LIMIT": "100/second;2/hour"})
    limits = app.extensions["client_rate_limits"]
    assert [limits.charge("token", "a") for _ in range(2)] == [None, None]
    assert limits.charge("token", "a") > 60  # the hourly rate, past the per-second one


def test_counting_starts_no_thread_per_request(app, client, monkeypatch):
    """limits' own memory storage restarted a 10 ms Timer thread on writes (SweptMemoryStorage)."""
    sp = make_client(app, auth_method="client_secret_basic")
    body = {"grant_type": "client_credentials", "scope": "dgfip_statistiques"}
    client.post("/token", data=body, auth=(sp.client_id, sp.client_secret))  # PostgreSQL's listener starts
    started = []
    original = threading.Thread.start
    monkeypatch.setattr(
        threading.Thread, "start", lambda thread: (started.append(thread.name), original(thread))[1]
    )
    for _ in range(5):
        answer = client.post("/token", data=body, auth=(sp.client_id, sp.client_secret))
        assert answer.status_code in (200, 429)  # counted either way
        time.sleep(0.02)  # past the 10 ms of limits' timer
    assert started == []


def test_expired_windows_are_swept(monkeypatch):
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_SECONDS", 0.05)
    storage = SweptMemoryStorage()
    storage.incr("window", expiry=0.05)
    assert storage.storage["window"] == 1
    deadline = time.monotonic() + 2
    while "window" in storage.storage and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "window" not in storage.storage  # swept without being read
    sweeper = storage.timer
    del storage
    gc.collect()
    sweeper.join(timeout=2)
    assert not sweeper.is_alive()  # ends with its storage
