"""IDP_REDIS_URL: one rate-limit budget shared by several instances, on a real redis-server;
and a Redis that fails lets requests through (fail open) instead of failing them."""

from __future__ import annotations

import logging

import pytest

from idp import create_app
from idp.oauth2 import rate_limits
from tests.conftest import BASE_SETTINGS
from tests.e2e_server import free_port
from tests.idp.oauth2.introspection.conftest import make_data_provider
from tests.idp.oauth2.test_rate_limits import (  # noqa: F401 (an autouse fixture)
    assert_rate_limited,
    clear_of_a_window_boundary,
    introspect,
)
from tests.redis_server import start_redis


@pytest.fixture
def redis_server(tmp_path):
    server = start_redis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def app_settings(redis_server) -> dict:
    return {"CLIENT_RATE_LIMIT": "3/minute", "REDIS_URL": redis_server.url}


def second_instance(app, other_instances):
    """Another instance on the same database and settings (as a second ``idp serve`` is)."""
    return other_instances(
        {
            **BASE_SETTINGS,
            "INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "CLIENT_RATE_LIMIT": app.config["CLIENT_RATE_LIMIT"],
            "REDIS_URL": app.config["REDIS_URL"],
        }
    )


def test_two_instances_share_one_budget(app, client, other_instances):
    dp = make_data_provider(app, "dgfip")
    other = second_instance(app, other_instances).test_client()
    assert [introspect(client, dp).status_code, introspect(other, dp).status_code] == [200, 200]
    assert introspect(client, dp).status_code == 200
    assert_rate_limited(introspect(other, dp))
    assert_rate_limited(introspect(client, dp))


def test_a_redis_that_stops_lets_requests_through_then_limits_again(app, client, redis_server, caplog):
    dp = make_data_provider(app, "dgfip")
    for _ in range(3):
        assert introspect(client, dp).status_code == 200
    assert_rate_limited(introspect(client, dp))
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger=rate_limits.__name__):
        assert [introspect(client, dp).status_code for _ in range(5)] == [200] * 5
    assert [record.getMessage() for record in caplog.records] == [
        "rate limits: Redis failed (ConnectionError); requests pass without a limit for 5 s"
    ]
    redis_server.start()  # the same port, empty: the counters start again
    app.extensions["client_rate_limits"].unavailable_until = 1  # as if the 5 s were over
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=rate_limits.__name__):
        for _ in range(3):
            assert introspect(client, dp).status_code == 200
    assert [record.getMessage() for record in caplog.records] == [
        "rate limits: Redis answers again; the limit applies"
    ]
    assert_rate_limited(introspect(client, dp))


def test_an_unreachable_redis_at_start_fails_open(tmp_path, caplog):
    app = create_app(
        {
            **BASE_SETTINGS,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "CLIENT_RATE_LIMIT": "1/minute",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    limits = app.extensions["client_rate_limits"]
    with caplog.at_level(logging.WARNING, logger=rate_limits.__name__):
        assert [limits.charge("introspection", "dp") for _ in range(3)] == [None] * 3
    assert len(caplog.records) == 1
