"""Two ``idp serve`` on one PostgreSQL database, each keeping its key ring and registry for
300 s: a change made through A is seen on B within milliseconds, told by B's change
listener (idp.database.notifications); with the listeners killed (``pg_terminate_backend``),
B checks a client's version at every request again and sees a change at the next one, until
its listener is back by itself.
"""

from __future__ import annotations

import json
import secrets

import psycopg
import pytest
import requests

from idp.database.notifications import APPLICATION_NAME
from idp.demo.seed import MACHINE_SCOPES
from idp.models.clients import hash_secret
from tests.measurements import seconds_until
from tests.production.flows import machine_token, register_service
from tests.production.instances import start_instances, stop_all

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
CACHE_SECONDS = 300
#: Far below CACHE_SECONDS, and far above a notification's few milliseconds.
SEEN_WITHIN = 1.0
LOST = f"{APPLICATION_NAME}: connection lost"
LISTENING = f"{APPLICATION_NAME}: listening"


@pytest.fixture(scope="module")
def instances(tmp_path_factory, shared_database):
    servers = start_instances(
        tmp_path_factory.mktemp("notified-instances"),
        shared_database,
        env={"IDP_KEYS_CACHE_SECONDS": str(CACHE_SECONDS), "IDP_REGISTRY_CACHE_SECONDS": str(CACHE_SECONDS)},
    )
    yield servers
    stop_all(servers)


@pytest.fixture
def admin(shared_database):
    with psycopg.connect(
        shared_database.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        yield c


def _lines(server, text: str) -> int:
    return server.log_path.read_text().count(text)


def _listening(server) -> None:
    """Its listener connected (the log says so once per connection) and B served with it."""
    seconds_until(lambda: _lines(server, LISTENING) > 0)


def _kids(server) -> set[str]:
    return {key["kid"] for key in requests.get(f"{server.url}/jwks", timeout=10).json()["keys"]}


def _import_machine_scope(server, tmp_path, machine: bool) -> None:
    document = json.loads(MACHINE_SCOPES.read_text(encoding="utf-8"))
    document["scopes"][0]["machine"] = machine
    path = tmp_path / "machine-scope.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    server.idp("scopes", "import", str(path))


def test_a_registry_change_through_a_is_seen_on_b_within_milliseconds(a, b, tmp_path):
    service = register_service(a)
    assert machine_token(b.url, service).status_code == 200
    _listening(b)
    assert machine_token(b.url, service).status_code == 200  # B's registry, read while it listens
    _import_machine_scope(a, tmp_path, machine=False)
    refused = seconds_until(lambda: machine_token(b.url, service).status_code == 400)
    _import_machine_scope(a, tmp_path, machine=True)
    issued = seconds_until(lambda: machine_token(b.url, service).status_code == 200)
    print(f"\nregistry change through A, seen on B after the CLI returned: {refused:.3f} s, {issued:.3f} s")
    assert max(refused, issued) < SEEN_WITHIN


def test_a_key_rotated_through_a_is_published_by_b_within_milliseconds(a, b, admin):
    published = _kids(b)
    _listening(b)
    admin.execute("UPDATE signing_keys SET created_at = created_at - interval '1 hour'")  # long published
    rotated = a.idp("keys", "rotate").stdout.split("\n")
    new_next = next(line.split()[0] for line in rotated if line.split()[1:] == ["ES256", "next"])
    assert new_next not in published
    seen = seconds_until(lambda: new_next in _kids(b))
    print(f"\nkey rotated through A, published by B after the CLI returned: {seen:.3f} s")
    assert seen < SEEN_WITHIN


def _set_secret(admin, client_id: str) -> dict:
    """A new secret, written as an operator would in psql (``updated_at`` too: the version)."""
    secret = secrets.token_urlsafe(32)
    admin.execute(
        "UPDATE clients SET client_secret_hash = %s, updated_at = now() WHERE client_id = %s",
        (hash_secret(secret), client_id),
    )
    return {"client_id": client_id, "client_secret": secret}


def test_with_the_listeners_killed_b_checks_every_request_and_listens_again(a, b, admin):
    service = register_service(a)
    for _ in range(2):  # B's copy of the client, trusted while it listens
        assert machine_token(b.url, service).status_code == 200
    lost, listening = _lines(b, LOST), _lines(b, LISTENING)
    killed = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = %s",
        (APPLICATION_NAME,),
    ).fetchall()
    assert len(killed) == 2  # one per instance (one worker each)
    seconds_until(lambda: _lines(b, LOST) > lost)  # B knows: per-request checks
    rotated = _set_secret(admin, service["client_id"])
    assert machine_token(b.url, service).status_code == 401  # the next request
    assert machine_token(b.url, rotated).status_code == 200

    back = seconds_until(lambda: _lines(b, LISTENING) > listening)
    print(f"\nB's listener killed: back after {back:.3f} s")
    again = _set_secret(admin, service["client_id"])
    assert seconds_until(lambda: machine_token(b.url, rotated).status_code == 401) < SEEN_WITHIN
    assert machine_token(b.url, again).status_code == 200
