"""Round trips to PostgreSQL per request on the hot endpoints, counted on the wire.

Every answer of the database is held ``DELAY`` seconds (tests/slow_network.py), so a request
that waits for it n times takes n × ``DELAY`` more than its own few milliseconds, whatever
the statements, connections or protocol. Through the lean path, as ``idp serve`` answers:

| | ``/token`` (credentials) | ``/introspect``, ``/checktoken`` | ``/jwks`` | code (a) | authorize (b) |
|---|---|---|---|---|---|
| listener up (idp.database.notifications) | 0 | 1: the token's row | 0 | 2 | 2 |
| ``IDP_CACHE_NOTIFICATIONS=false`` | 1: client's version | 1: both (database.batches) | 0 | 3 | 4 |

(a) ``/token`` with a code: the claim with its citizen, the token record; without the
listener, the client's version.
(b) ``/authorize`` of a signed-in citizen who consented, the code at once
(idp.hotpath.authorize): the sign-in with the citizen's consents, the code's transaction;
without the listener, the client's version and the identity providers (offers_level).

(Before the listener and the batches: 1, 2 and 0; before the citizen was read in the
claim's transaction, a code's exchange took 3 with the listener; before each process kept
the identity providers' rows and read the consents with the sign-in, ``/authorize`` took 4
with it.)
"""

from __future__ import annotations

import shutil
import time
from urllib.parse import urlsplit

import pytest

from idp import create_app
from idp.database import notifications
from idp.extensions import db
from tests.conftest import BASE_SETTINGS
from tests.idp.oauth2.introspection.conftest import DATA_SCOPE, make_data_provider
from tests.measurements import seconds_until
from tests.slow_network import DelayingProxy

pytestmark = pytest.mark.postgres
DELAY = 0.2
EXPECTED = {
    True: {
        "token": 0,
        "introspect": 1,
        "introspect machine token": 1,
        "checktoken": 1,
        "jwks": 0,
        "code exchange": 2,
        "authorize": 2,
    },
    False: {
        "token": 1,
        "introspect": 1,
        "introspect machine token": 1,
        "checktoken": 1,
        "jwks": 0,
        "code exchange": 3,
        "authorize": 4,
    },
}


@pytest.fixture
def proxy(postgres_server):
    upstream = urlsplit(postgres_server)
    delaying = DelayingProxy((upstream.hostname, upstream.port), delay=0.0)
    yield delaying
    delaying.close()


@pytest.fixture(params=[True, False], ids=["listener", "no-listener"])
def listener_on(request) -> bool:
    return request.param


@pytest.fixture
def app(tmp_path, template_instance, postgres_database, proxy, listener_on):
    """The PostgreSQL leg only, through the proxy; caches too long to reload meanwhile."""
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    application = create_app(
        {
            **BASE_SETTINGS,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": proxy.url(postgres_database),
            "KEYS_CACHE_SECONDS": 300,
            "REGISTRY_CACHE_SECONDS": 300,
            "CACHE_NOTIFICATIONS": listener_on,
        }
    )
    yield application
    with application.app_context():
        db.engine.dispose()


def _seconds(call) -> float:
    """The quickest of three answers (each must be a 200, or the redirect with a code)."""
    times = []
    for _ in range(3):
        started = time.monotonic()
        response = call()
        times.append(time.monotonic() - started)
        if response.status_code == 302:
            assert "code=" in response.headers["Location"], response.headers["Location"]
        else:
            assert response.status_code == 200, response.get_data(as_text=True)
    return min(times)


def test_round_trips_per_request(app, client, proxy, flow, listener_on, measure):
    provider = make_data_provider(app, "dgfip")
    provider_id, provider_secret = provider.client_id, provider.client_secret
    service = flow.sp
    citizen_token = flow.tokens(scope=DATA_SCOPE)["access_token"]

    def token():
        form = {"grant_type": "client_credentials", "scope": "dgfip_statistiques"}
        return client.post("/token", data=form, auth=(service.client_id, service.client_secret))

    machine_token = token().get_json()["access_token"]
    calls = {
        "token": token,
        "introspect": lambda: client.post(
            "/introspect", data={"token": citizen_token}, auth=(provider_id, provider_secret)
        ),
        "introspect machine token": lambda: client.post(
            "/introspect", data={"token": machine_token}, auth=(provider_id, provider_secret)
        ),
        "checktoken": lambda: client.post(
            "/checktoken",
            data={
                "token": citizen_token,
                "client_id": provider.client_id,
                "client_secret": provider.client_secret,
            },
        ),
        "jwks": lambda: client.get("/jwks"),
        "code exchange": lambda: flow.exchange(codes.pop()),
        "authorize": lambda: client.get("/authorize", query_string=flow.authorize_params()),
    }
    codes = [flow.code() for _ in range(6)]  # three calls alone, three delayed
    if listener_on:
        seconds_until(lambda: notifications.listener_of(app).listening, limit=10)
    alone = {name: _seconds(call) for name, call in calls.items()}  # also warms every copy
    proxy.delay = DELAY
    delayed = {name: _seconds(call) for name, call in calls.items()}
    if listener_on:
        assert notifications.listener_of(app).listening  # still: every figure was taken with it
    counted = {name: round((delayed[name] - alone[name]) / DELAY) for name in calls}
    measure(f"round trips per request ({'listener' if listener_on else 'no listener'})", counted)
    assert counted == EXPECTED[listener_on], {name: f"{delayed[name]:.3f} s" for name in calls}
