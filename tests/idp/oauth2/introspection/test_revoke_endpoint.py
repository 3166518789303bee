"""POST /revoke (RFC 7009): access tokens by jti, refresh tokens with their whole family."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import AccessTokenRecord, RefreshToken
from tests.idp.conftest import IDENTITY_SCOPES, make_client
from tests.idp.oauth2.introspection.conftest import DATA_SCOPE, expired, resign, unverified_claims

INACTIVE = {"active": False}


def revoke(client, sp, token, **extra):
    return client.post("/revoke", data={"token": token, **extra}, auth=(sp.client_id, sp.client_secret))


def introspect(client, dp, token):
    return client.post("/introspect", data={"token": token}, auth=(dp.client_id, dp.client_secret)).get_json()


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_revoked_access_token_is_inactive_from_the_next_request(
    client, dgfip, service_provider, tokens, hint
):
    token = tokens["access_token"]
    assert introspect(client, dgfip, token)["active"] is True
    extra = {"token_type_hint": hint} if hint else {}
    response = revoke(client, service_provider, token, **extra)
    assert response.status_code == 200
    assert response.get_data() == b""
    assert response.headers["Cache-Control"] == "no-store"
    assert introspect(client, dgfip, token) == INACTIVE
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert revoke(client, service_provider, token).status_code == 200  # idempotent


def test_expired_access_token_is_still_revoked(app, client, service_provider, tokens):
    token = tokens["access_token"]
    response = revoke(client, service_provider, expired(app, token))
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(AccessTokenRecord, unverified_claims(token)["jti"]).revoked_at is not None


def test_forged_token_revokes_nothing(app, client, service_provider, tokens):
    token = tokens["access_token"]
    head, payload, signature = token.split(".")
    assert revoke(client, service_provider, f"{head}.{payload}.{signature[::-1]}").status_code == 200
    with app.app_context():
        assert db.session.get(AccessTokenRecord, unverified_claims(token)["jti"]).revoked_at is None


def test_refresh_token_revokes_its_family(app, client, dgfip, service_provider, flow):
    first = flow.tokens(scope=DATA_SCOPE + " offline_access")
    refreshed = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(service_provider.client_id, service_provider.client_secret),
    ).get_json()
    assert introspect(client, dgfip, refreshed["access_token"])["active"] is True
    response = revoke(client, service_provider, refreshed["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    for access_token in (first["access_token"], refreshed["access_token"]):
        assert introspect(client, dgfip, access_token) == INACTIVE
    again = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        auth=(service_provider.client_id, service_provider.client_secret),
    )
    assert again.get_json()["error"] == "invalid_grant"
    with app.app_context():
        assert all(row.revoked_at is not None for row in db.session.scalars(db.select(RefreshToken)))


def test_a_client_may_not_revoke_another_clients_token(app, client, dgfip, tokens):
    other = make_client(app, name="Autre portail")
    response = revoke(client, other, tokens["access_token"])
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_grant")
    assert introspect(client, dgfip, tokens["access_token"])["active"] is True


def test_a_client_may_not_revoke_another_clients_refresh_token(app, client, flow):
    tokens = flow.tokens(scope=IDENTITY_SCOPES + " offline_access")
    other = make_client(app, name="Autre portail")
    response = revoke(client, other, tokens["refresh_token"])
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_grant")
    with app.app_context():
        assert db.session.scalars(db.select(RefreshToken)).one().revoked_at is None


def test_public_client_revokes_with_its_client_id(app, client, citizen):
    from tests.idp.conftest import CodeFlow

    public = make_client(app, name="Application publique", auth_method="none")
    flow = CodeFlow(client, public)
    tokens = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": flow.code(),
            "redirect_uri": public.redirect_uri,
            "code_verifier": flow.verifier,
            "client_id": public.client_id,
        },
    ).get_json()
    response = client.post("/revoke", data={"token": tokens["access_token"], "client_id": public.client_id})
    assert response.status_code == 200
    assert (
        client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code
        == 401
    )


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("unknown-refresh-token", id="unknown-refresh"),
        pytest.param("a.b.c", id="malformed-jwt"),
        pytest.param("x" * 5000, id="oversized"),
        pytest.param("é€😀", id="non-ascii"),
    ],
)
def test_unknown_tokens_answer_200(client, service_provider, token):
    assert revoke(client, service_provider, token).status_code == 200


def test_token_with_unknown_jti_answers_200(app, client, service_provider, tokens):
    assert (
        revoke(client, service_provider, resign(app, tokens["access_token"], jti="nope")).status_code == 200
    )


@pytest.mark.parametrize(
    ("request_for", "status", "error"),
    [
        pytest.param(lambda sp, t: {"data": {"token": t}}, 401, "invalid_client", id="no-credentials"),
        pytest.param(
            lambda sp, t: {"data": {"token": t}, "auth": (sp.client_id, "wrong")},
            401,
            "invalid_client",
            id="bad-secret",
        ),
        pytest.param(
            lambda sp, t: {"data": {"token": t, "client_id": sp.client_id}},
            401,
            "invalid_client",
            id="confidential-client-without-secret",
        ),
        pytest.param(
            lambda sp, t: {"data": {}, "auth": (sp.client_id, sp.client_secret)},
            400,
            "invalid_request",
            id="missing-token",
        ),
        pytest.param(
            lambda sp, t: {
                "data": {"token": t, "token_type_hint": "id_token"},
                "auth": (sp.client_id, sp.client_secret),
            },
            400,
            "unsupported_token_type",
            id="unsupported-hint",
        ),
    ],
)
def test_revocation_errors(client, service_provider, tokens, request_for, status, error):
    response = client.post("/revoke", **request_for(service_provider, tokens["access_token"]))
    assert response.status_code == status
    assert response.get_json()["error"] == error
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
