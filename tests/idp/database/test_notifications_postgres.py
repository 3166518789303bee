"""Two applications on one PostgreSQL database, as two instances (idp.database.notifications).

A change made through A is seen on B within milliseconds while B's listener is up, though B
checks no client version and keeps the key ring and the registry for 300 s; with B's
listener killed (``pg_terminate_backend``) and kept from coming back, B checks the client's
version at every request again, and sees the change at the next one; a revocation is exact
either way, since it is never cached. The real thing throughout: the triggers of migrations
0006 and 0008, the listener's own connection, the server's notifications.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import psycopg
import pytest

from bench import postgres
from idp import create_app, signing
from idp.citizens.federation import providers
from idp.clients import admin as client_admin
from idp.clients import lookup as client_lookup
from idp.clients.admin import ClientSettings
from idp.database import notifications, upgrade_schema
from idp.demo.seed import MACHINE_SCOPE
from idp.extensions import db
from idp.models import utcnow
from idp.operations.embedded import prepare_embedded
from idp.registry.admin import Actor, update_scope
from tests import databases
from tests.conftest import BASE_SETTINGS
from tests.idp.oauth2.introspection.conftest import make_data_provider
from tests.measurements import seconds_until

pytestmark = pytest.mark.postgres
#: What B would otherwise wait for: its key ring and registry are kept that long.
CACHE_SECONDS = 300
#: Far below it, and far above a notification's few milliseconds.
SEEN_WITHIN = 1.0
OPERATOR = Actor(client_id="operator", role="operator")


def _application(instance, url: str):
    return create_app(
        {
            **BASE_SETTINGS,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": url,
            "KEYS_CACHE_SECONDS": CACHE_SECONDS,
            "REGISTRY_CACHE_SECONDS": CACHE_SECONDS,
        }
    )


@pytest.fixture
def instances(tmp_path, template_instance, postgres_database):
    """A and B: their own application, process-wide caches and listener each; one database."""
    shutil.copytree(template_instance, tmp_path / "instance")
    pair = [_application(tmp_path / "instance", postgres_database) for _ in range(2)]
    yield pair
    for application in pair:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def a(instances):
    return instances[0]


@pytest.fixture
def b(instances):
    return instances[1]


@pytest.fixture
def service(a) -> tuple[str, str]:
    with a.app_context():
        created, secret = client_admin.create_client(
            ClientSettings(
                name="fs-notified", auth_method="client_secret_basic", operator_scope_override=[MACHINE_SCOPE]
            )
        )
        return created.client_id, secret


def _token(app, credentials: tuple[str, str]):
    form = {"grant_type": "client_credentials", "scope": MACHINE_SCOPE}
    return app.test_client().post("/token", data=form, auth=credentials)


def _listening(app, expected: bool = True) -> None:
    listener = notifications.listener_of(app)
    seconds_until(lambda: listener.listening is expected, limit=10)


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def _rotate_secret(a, service) -> tuple[str, str]:
    with a.app_context():
        return service[0], client_admin.rotate_secret(service[0])


def _no_longer_machine(a, _service) -> None:
    with a.app_context():
        update_scope(OPERATOR, MACHINE_SCOPE, {"machine": False})


def _rotate_keys(a, _service) -> None:
    with a.app_context():
        signing.rotate(now=utcnow() + timedelta(hours=1))  # the next key was published long ago


def _jwks_kids(app) -> set[str]:
    return {key["kid"] for key in app.test_client().get("/jwks").get_json()["keys"]}


@pytest.mark.parametrize("change", ["secret rotated", "scope no longer machine-usable", "keys rotated"])
def test_a_change_through_a_is_seen_on_b_within_milliseconds(a, b, service, change, measure):
    assert _token(b, service).status_code == 200  # starts B's listener
    _listening(b)
    assert _token(b, service).status_code == 200  # B's copies, read while it listens: trusted
    kids = _jwks_kids(b)
    if change == "secret rotated":
        _rotate_secret(a, service)
        seen = seconds_until(lambda: _token(b, service).status_code == 401)
    elif change == "scope no longer machine-usable":
        _no_longer_machine(a, service)
        seen = seconds_until(lambda: _token(b, service).get_json().get("error") == "invalid_scope")
    else:
        _rotate_keys(a, service)
        seen = seconds_until(lambda: _jwks_kids(b) - kids != set())
    measure(f"{change}: seen on the other instance after (s)", round(seen, 4))
    assert seen < SEEN_WITHIN
    assert notifications.listener_of(b).listening  # the listener saw it, not a fallback


def _offers_eidas1(app, service) -> bool:
    with app.app_context():
        return providers.offers_level(client_lookup.find_client(service[0]), "eidas1")


def test_an_identity_provider_disabled_through_a_is_no_longer_offered_on_b(a, b, service, measure):
    """``/authorize`` asks whether the service offers a provider reaching its level: B keeps
    the providers' rows while it listens (migration 0008's trigger tells it of a change)."""
    assert _offers_eidas1(b, service)  # starts B's listener
    _listening(b)
    assert _offers_eidas1(b, service)  # B's rows, read while it listens: trusted
    with a.app_context():
        providers.update(providers.LOCAL, providers.ProviderSettings(active=False))
    seen = seconds_until(lambda: not _offers_eidas1(b, service))
    measure("identity provider disabled: seen on the other instance after (s)", round(seen, 4))
    assert seen < SEEN_WITHIN
    assert notifications.listener_of(b).listening  # the listener saw it, not a fallback


def test_a_change_made_by_an_instance_is_its_own_at_the_next_request(a, service):
    """Its notification may still be on its way: the instance that committed the change
    checks as without a listener until an echo sent after the commit came back (echoes
    leave every 0.5 s: one sent and back within this test's next line is unlikely)."""
    assert _token(a, service).status_code == 200
    _listening(a)
    assert _token(a, service).status_code == 200  # A's copy, read while it listens: trusted
    rotated = _rotate_secret(a, service)
    assert not notifications.listener_of(a).listening  # its own commit: not trusted yet
    assert _token(a, service).status_code == 401  # the old secret, at once
    assert _token(a, rotated).status_code == 200
    _listening(a)  # trusted again once the echo came back


#: How long B's listener stays away once killed, in the test below: far longer than the
#: few requests it makes meanwhile, even on a loaded machine.
KEPT_AWAY_SECONDS = 5.0


def test_with_its_listener_killed_b_checks_every_request_and_listens_again(
    a, b, service, postgres_database, monkeypatch
):
    """Kept from coming back by its pause before reconnecting, not by refusing connections:
    the listener takes its connection from the engine's pool, which still holds B's."""
    assert _token(b, service).status_code == 200
    _listening(b)
    assert _token(b, service).status_code == 200  # B's copy, trusted while it listens
    monkeypatch.setattr(notifications, "RECONNECT_SECONDS", (KEPT_AWAY_SECONDS, KEPT_AWAY_SECONDS))
    name = postgres_database.rsplit("/", 1)[1]
    with _admin(databases.with_database(postgres_database, "postgres")) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND application_name = %s",
            (name, notifications.APPLICATION_NAME),
        ).fetchall()
    assert killed  # B's (and A's, if A used a cache yet)
    _listening(b, expected=False)

    rotated = _rotate_secret(a, service)
    assert _token(b, service).status_code == 401  # the very next request: checked
    assert _token(b, rotated).status_code == 200
    assert not notifications.listener_of(b).listening  # that was the per-request check

    _listening(b)
    again = _rotate_secret(a, service)
    assert seconds_until(lambda: _token(b, rotated).status_code == 401) < SEEN_WITHIN
    assert _token(b, again).status_code == 200


def test_a_revocation_through_a_is_seen_on_b_at_the_next_request(a, b, service):
    """No listener involved: the token's state and its client's allowed scopes are read on
    every request (idp.oauth2.bearer), whatever B keeps."""
    provider = make_data_provider(a, "dgfip")
    introspect = b.test_client()

    def answer(token: str) -> dict:
        form = {"token": token}
        return introspect.post(
            "/introspect", data=form, auth=(provider.client_id, provider.client_secret)
        ).get_json()

    revoked, withdrawn = (_token(a, service).get_json()["access_token"] for _ in range(2))
    assert answer(revoked)["active"] is True and answer(withdrawn)["active"] is True
    _listening(b)
    assert a.test_client().post("/revoke", data={"token": revoked}, auth=service).status_code == 200
    assert answer(revoked) == {"active": False}
    with a.app_context():
        client_admin.update_client(service[0], ClientSettings(operator_scope_override=[]))
    assert answer(withdrawn) == {"active": False}


@pytest.fixture
def own_cluster():
    """A cluster of this test's own, to freeze."""
    with postgres.running_cluster() as running:
        yield running


def test_a_frozen_server_ends_the_lease_without_the_listeners_help(tmp_path, template_instance, own_cluster):
    """The listener's thread is stuck in a heartbeat; its lease lapses anyway, and the
    caches go back to their checks (which then wait for the database, bounded)."""
    shutil.copytree(template_instance, tmp_path / "instance")
    application = _application(tmp_path / "instance", own_cluster.url)
    upgrade_schema(application)
    prepare_embedded(application)  # the keys
    with application.app_context():
        signing.public_jwks()  # the first use of a cache starts the listener
    _listening(application)
    own_cluster.freeze()
    try:
        lapsed = seconds_until(lambda: not notifications.listener_of(application).listening)
    finally:
        own_cluster.thaw()
    assert lapsed <= notifications.LEASE_SECONDS
    _listening(application)  # back by itself
    with application.app_context():
        db.engine.dispose()
