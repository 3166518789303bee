"""Self-contained client_credentials tokens: no record at issuance, a revocation list at /revoke.

The token carries all introspection needs (``client_id``, ``scope``, ``exp``); the database
still decides, at every use, whether it was revoked and what its client may still do.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from idp.clients.admin import delete_client
from idp.extensions import db
from idp.models import AccessTokenRecord, RevokedAccessToken
from idp.oauth2.tokens import is_self_contained
from tests.idp.conftest import make_client
from tests.idp.oauth2.introspection.conftest import expired, unverified_claims, withdraw_scopes

INACTIVE = {"active": False}


@pytest.fixture
def machine(app):
    return make_client(app, redirect_uris=[], operator_scope_override=["dgfip_statistiques"])


def client_credentials_token(client, sp) -> str:
    response = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
        auth=(sp.client_id, sp.client_secret),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def introspect(client, dp, token) -> dict:
    return client.post("/introspect", data={"token": token}, auth=(dp.client_id, dp.client_secret)).get_json()


def checktoken_active(client, dp, token) -> bool:
    response = client.post(
        "/checktoken", data={"token": token, "client_id": dp.client_id, "client_secret": dp.client_secret}
    )
    assert response.status_code == 200
    return unverified_claims(response.get_data(as_text=True))["token_introspection"]["active"]


def revoke(client, sp, token):
    return client.post("/revoke", data={"token": token}, auth=(sp.client_id, sp.client_secret))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_issued_without_a_record_and_introspected_active(app, client, dgfip, machine):
    token = client_credentials_token(client, machine)
    claims = unverified_claims(token)
    assert claims["sub"] == claims["client_id"] == machine.client_id  # RFC 9068 §2.2
    assert is_self_contained(claims)
    assert count(app, AccessTokenRecord) == 0
    answer = introspect(client, dgfip, token)
    assert (answer["active"], answer["scope"], answer["sub"]) == (
        True,
        "dgfip_statistiques",
        machine.client_id,
    )
    assert "given_name" not in answer
    assert checktoken_active(client, dgfip, token) is True


def test_a_citizens_token_is_recorded_not_self_contained(app, tokens):
    claims = unverified_claims(tokens["access_token"])
    assert not is_self_contained(claims)
    with app.app_context():
        assert db.session.get(AccessTokenRecord, claims["jti"]) is not None


def test_revoked_from_the_next_request_and_revoking_twice_is_fine(app, client, dgfip, machine):
    token = client_credentials_token(client, machine)
    other = client_credentials_token(client, machine)
    for _ in range(2):  # RFC 7009 §2.2
        response = revoke(client, machine, token)
        assert response.status_code == 200
    assert introspect(client, dgfip, token) == INACTIVE
    assert checktoken_active(client, dgfip, token) is False
    assert introspect(client, dgfip, other)["active"] is True  # only that jti
    claims = unverified_claims(token)
    with app.app_context():
        listed = db.session.scalars(db.select(RevokedAccessToken)).all()
        assert [(row.jti, row.client_id) for row in listed] == [(claims["jti"], machine.client_id)]
        assert listed[0].expires_at == datetime.fromtimestamp(claims["exp"], UTC)


def test_another_client_may_not_revoke_it(app, client, dgfip, machine, service_provider):
    token = client_credentials_token(client, machine)
    response = revoke(client, service_provider, token)
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_grant")
    assert count(app, RevokedAccessToken) == 0
    assert introspect(client, dgfip, token)["active"] is True


def test_an_expired_token_is_listed_until_purged_and_a_forged_one_never(app, client, machine):
    token = client_credentials_token(client, machine)
    assert revoke(client, machine, expired(app, token)).status_code == 200
    head, payload, _signature = token.split(".")
    assert revoke(client, machine, f"{head}.{payload}.AAAA").status_code == 200
    with app.app_context():
        (listed,) = db.session.scalars(db.select(RevokedAccessToken)).all()
        assert listed.expires_at < datetime.now(UTC)


def test_inactive_once_its_client_is_deleted(app, client, dgfip, machine):
    token = client_credentials_token(client, machine)
    with app.app_context():
        delete_client(machine.client_id)
    assert introspect(client, dgfip, token) == INACTIVE


def test_inactive_once_its_habilitation_is_withdrawn(app, client, dgfip, machine):
    token = client_credentials_token(client, machine)
    withdraw_scopes(app, machine, "")
    assert introspect(client, dgfip, token) == INACTIVE
