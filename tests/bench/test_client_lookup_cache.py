"""The per-process client copy used by the hot endpoints never outlives a change of the row
(idp.clients.lookup.find_client_for_authentication): its version is checked at every
request, with PostgreSQL's change listener off (as while it is down). With it on, the check
is skipped and the change is seen within milliseconds instead:
tests/idp/database/test_notifications_postgres.py.

Each change is made through a *second* application on the same database, as another worker
or instance would make it, after the first application has cached the client.
"""

from __future__ import annotations

import pytest

from idp.clients import admin as client_admin
from idp.clients import lookup
from idp.clients.admin import ClientSettings
from idp.clients.lookup import find_client_for_authentication

TOKEN_FORM = {"grant_type": "client_credentials", "scope": "dgfip_statistiques"}


@pytest.fixture
def app_settings() -> dict:
    return {"CACHE_NOTIFICATIONS": False}


@pytest.fixture
def other_instance(app, other_instances):
    """Another application (another process, in production) on the same database."""
    return other_instances(
        {
            "INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "ISSUER": app.config["ISSUER"],
            "TESTING": True,
        }
    )


@pytest.fixture
def service(app) -> tuple[str, str]:
    with app.app_context():
        created, secret = client_admin.create_client(
            ClientSettings(
                name="fs-cache",
                auth_method="client_secret_basic",
                operator_scope_override=["dgfip_statistiques"],
            )
        )
        return created.client_id, secret


def _token(client, client_id: str, secret: str):
    return client.post("/token", data=TOKEN_FORM, auth=(client_id, secret))


def _rotate(client_id: str, secret: str) -> tuple[str, str]:
    return client_id, client_admin.rotate_secret(client_id)


def _delete(client_id: str, secret: str) -> tuple[str, str]:
    client_admin.delete_client(client_id)
    return client_id, secret


def _withdraw_scope(client_id: str, secret: str) -> tuple[str, str]:
    client_admin.update_client(client_id, ClientSettings(operator_scope_override=[]))
    return client_id, secret


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        (_rotate, 401, "invalid_client"),  # the old secret stops working at once
        (_delete, 401, "invalid_client"),
        (_withdraw_scope, 400, "invalid_scope"),
    ],
    ids=["secret-rotated", "client-deleted", "scope-withdrawn"],
)
def test_a_change_made_elsewhere_is_seen_at_the_next_request(
    client, service, other_instance, change, status, error
):
    assert _token(client, *service).status_code == 200  # cached now
    assert _token(client, *service).status_code == 200  # served from the copy
    with other_instance.app_context():
        new_credentials = change(*service)
    response = _token(client, *service)
    assert (response.status_code, response.get_json()["error"]) == (status, error)
    if change is _rotate:
        assert _token(client, *new_credentials).status_code == 200


@pytest.fixture
def data_provider(app) -> tuple[str, str]:
    with app.app_context():
        created, secret = client_admin.create_client(
            ClientSettings(name="fd-cache", role="data-provider", namespace="dgfip")
        )
        return created.client_id, secret


def _introspect(client, client_id: str, secret: str):
    return client.post("/introspect", data={"token": "not-a-token"}, auth=(client_id, secret))


def _checktoken(client, client_id: str, secret: str):
    form = {"token": "not-a-token", "client_id": client_id, "client_secret": secret}
    return client.post("/checktoken", data=form)


@pytest.mark.parametrize("call", [_introspect, _checktoken], ids=["introspect", "checktoken"])
@pytest.mark.parametrize("change", [_rotate, _delete], ids=["secret-rotated", "client-deleted"])
def test_a_data_provider_changed_elsewhere_is_seen_at_the_next_request(
    client, data_provider, other_instance, call, change
):
    """There the copy's version is read with the token's (idp.clients.lookup.confirmed_with_next_read):
    an answer given on an outdated copy is dropped, and the request answered again on the row."""
    assert call(client, *data_provider).status_code == 200  # cached now
    assert call(client, *data_provider).status_code == 200  # served from the copy
    with other_instance.app_context():
        new_credentials = change(*data_provider)
    response = call(client, *data_provider)
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_client")
    if change is _rotate:
        assert call(client, *new_credentials).status_code == 200


def test_the_copy_is_reused_while_the_row_is_unchanged(app, service):
    with app.app_context():
        first = find_client_for_authentication(service[0])
    with app.app_context():
        assert find_client_for_authentication(service[0]) is first


@pytest.mark.parametrize("client_id", [None, "", 42, "x" * 65, "unknown-client"])
def test_unusable_or_unknown_ids_find_nothing(app, client_id):
    with app.app_context():
        assert find_client_for_authentication(client_id) is None


def test_the_copies_kept_are_bounded_and_an_evicted_client_still_authenticates(app, client, monkeypatch):
    """Past ``CACHED_CLIENTS`` the copy built first goes; its client is built again when it
    comes back (PISTE's 11,000 clients would otherwise all stay in every worker)."""
    monkeypatch.setattr(lookup, "CACHED_CLIENTS", 2)
    with app.app_context():
        services = [
            client_admin.create_client(
                ClientSettings(name=f"fs-{number}", operator_scope_override=["dgfip_statistiques"])
            )
            for number in range(3)
        ]
        services = [(created.client_id, secret) for created, secret in services]
    for service in services:
        assert _token(client, *service).status_code == 200
    kept, _changes = app.extensions["idp_clients"]  # the copies, and what the listener was told
    assert list(kept) == [services[1][0], services[2][0]]
    assert _token(client, *services[0]).status_code == 200
    assert list(kept) == [services[2][0], services[0][0]]
