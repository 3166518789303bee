"""POST /introspect (RFC 7662) for data providers, and its JWT form (RFC 9701)."""

from __future__ import annotations

import pytest

from idp.citizens.subject import pairwise_sub
from idp.citizens.users import create_user
from idp.oauth2.introspection import JWT_MEDIA_TYPE
from tests.idp.conftest import IDENTITY_SCOPES, make_client
from tests.idp.oauth2.introspection.conftest import (
    expired,
    make_data_provider,
    mutate_record,
    resign,
    unverified_claims,
    verify_with_jwks,
    withdraw_scopes,
)

INACTIVE = {"active": False}


def introspect(client, dp, token, **extra):
    return client.post("/introspect", data={"token": token}, auth=(dp.client_id, dp.client_secret), **extra)


def test_data_provider_sees_its_scopes_the_pivot_identity_and_its_own_sub(app, client, dgfip, access_token):
    response = introspect(client, dgfip, access_token)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    claims = unverified_claims(access_token)
    with app.app_context():
        from idp.models import User

        user = User.query.filter_by(username="camille").one()
        expected_sub = pairwise_sub(dgfip.client_id, user.identity_hash)
    assert response.get_json() == {
        "active": True,
        "scope": "dgfip_rfr",
        "client_id": claims["client_id"],
        "token_type": "Bearer",
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": "http://127.0.0.1:5000",
        "aud": dgfip.client_id,
        "sub": expected_sub,
        "acr": "eidas1",
        "auth_time": claims["auth_time"],
        "given_name": "Camille Anne",
        "family_name": "Durand",
        "birthdate": "1990-02-28",
        "gender": "female",
        "birthplace": "75056",
        "birthcountry": "99100",
    }
    assert expected_sub != claims["sub"]  # not the service provider's pairwise sub


def test_another_data_provider_sees_an_inactive_token(client, cnaf, access_token):
    response = client.post(
        "/introspect",
        data={"token": access_token, "client_id": cnaf.client_id, "client_secret": cnaf.client_secret},
    )
    assert (response.status_code, response.get_json()) == (200, INACTIVE)


def test_private_key_jwt_data_provider(app, client, flow):
    """RFC 7523 client assertions work at /introspect (audience: the endpoint or the issuer)."""
    import secrets
    import time

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    dp = make_data_provider(
        app, "dgfip", auth_method="private_key_jwt", jwks={"keys": [dict(public, kid="k1", alg="ES256")]}
    )
    token = flow.tokens(scope=IDENTITY_SCOPES + " dgfip_rfr")["access_token"]
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": dp.client_id,
            "sub": dp.client_id,
            "aud": "http://127.0.0.1:5000/introspect",
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_hex(8),
        },
        key,
        algorithm="ES256",
        headers={"kid": "k1"},
    )
    form = {
        "token": token,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    response = client.post("/introspect", data=form)
    assert response.status_code == 200
    assert response.get_json()["scope"] == "dgfip_rfr"
    replay = client.post("/introspect", data=form)  # RFC 7523 §3: jti accepted once
    assert replay.status_code == 401


def test_withdrawn_scope_disappears_at_once(app, client, dgfip, service_provider, flow):
    withdraw_scopes(app, service_provider, IDENTITY_SCOPES + " dgfip_rfr dgfip_nbpart")  # widen first
    token = flow.tokens(scope=IDENTITY_SCOPES + " dgfip_rfr dgfip_nbpart")["access_token"]
    assert introspect(client, dgfip, token).get_json()["scope"] == "dgfip_rfr dgfip_nbpart"
    withdraw_scopes(app, service_provider, IDENTITY_SCOPES + " dgfip_nbpart")
    assert introspect(client, dgfip, token).get_json()["scope"] == "dgfip_nbpart"
    withdraw_scopes(app, service_provider, IDENTITY_SCOPES)
    assert introspect(client, dgfip, token).get_json() == INACTIVE


def _revoked(app, token):
    from idp.models import utcnow

    mutate_record(app, token, revoked_at=utcnow())
    return token


def _unknown_jti(app, token):
    return resign(app, token, jti="not-a-recorded-jti")


def _record_expired(app, token):
    from datetime import timedelta

    from idp.models import utcnow

    mutate_record(app, token, expires_at=utcnow() - timedelta(seconds=1))
    return token


def _tampered(app, token):
    head, payload, signature = token.split(".")
    return f"{head}.{payload}.{signature[:-4]}AAAA"


def _wrong_typ(app, token):
    from idp import signing

    with app.app_context():
        return signing.keyring().sign(unverified_claims(token), alg="ES256", typ="JWT")


def _wrong_issuer(app, token):
    return resign(app, token, iss="https://other.example")


def _without_client_id(app, token):
    return resign(app, token, client_id=None)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda app, token, tokens: _revoked(app, token), id="revoked"),
        pytest.param(lambda app, token, tokens: expired(app, token), id="jwt-expired"),
        pytest.param(lambda app, token, tokens: _record_expired(app, token), id="record-expired"),
        pytest.param(lambda app, token, tokens: _unknown_jti(app, token), id="unknown-jti"),
        pytest.param(lambda app, token, tokens: _tampered(app, token), id="bad-signature"),
        pytest.param(lambda app, token, tokens: _wrong_typ(app, token), id="typ-not-at+jwt"),
        pytest.param(lambda app, token, tokens: _wrong_issuer(app, token), id="foreign-issuer"),
        pytest.param(lambda app, token, tokens: _without_client_id(app, token), id="missing-claim"),
        pytest.param(lambda app, token, tokens: tokens["id_token"], id="id-token"),
        pytest.param(lambda app, token, tokens: "not.a.jwt", id="malformed"),
        pytest.param(lambda app, token, tokens: "x" * 5000, id="oversized"),
        pytest.param(lambda app, token, tokens: "é€😀", id="non-ascii"),
    ],
)
def test_inactive_tokens(app, client, dgfip, tokens, make_token):
    response = introspect(client, dgfip, make_token(app, tokens["access_token"], tokens))
    assert (response.status_code, response.get_json()) == (200, INACTIVE)


def test_token_without_data_scopes_is_inactive(client, dgfip, flow):
    token = flow.tokens(scope=IDENTITY_SCOPES)["access_token"]
    assert introspect(client, dgfip, token).get_json() == INACTIVE


def test_refresh_token_is_not_an_access_token(client, dgfip, flow):
    tokens = flow.tokens(scope=IDENTITY_SCOPES + " dgfip_rfr offline_access")
    assert introspect(client, dgfip, tokens["refresh_token"]).get_json() == INACTIVE


def test_deleted_citizen_makes_the_token_inactive(app, client, dgfip, access_token):
    from idp.extensions import db
    from idp.models import User

    with app.app_context():
        db.session.delete(User.query.filter_by(username="camille").one())
        db.session.commit()
    assert introspect(client, dgfip, access_token).get_json() == INACTIVE


def test_pivot_identity_omits_absent_values(app, client, dgfip, service_provider):
    """A citizen born abroad has no birthplace: the claim is absent, never null."""
    from tests.idp.conftest import CodeFlow

    with app.app_context():
        create_user(
            username="ana",
            password="correct horse battery staple",
            given_name="Ana",
            family_name="Silva",
            birthdate="1980-01-01",
            gender="female",
            birthplace=None,
            birthcountry="99139",
        )
    token = CodeFlow(client, service_provider, "ana").tokens(scope=IDENTITY_SCOPES + " dgfip_rfr")
    body = introspect(client, dgfip, token["access_token"]).get_json()
    assert body["active"] is True
    assert "birthplace" not in body
    assert body["birthcountry"] == "99139"


ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.mark.parametrize(
    ("request_for", "status", "error"),
    [
        pytest.param(lambda dp, sp, t: {"data": {"token": t}}, 401, "invalid_client", id="no-credentials"),
        pytest.param(
            lambda dp, sp, t: {"data": {"token": t}, "auth": (dp.client_id, "wrong")},
            401,
            "invalid_client",
            id="bad-secret",
        ),
        pytest.param(
            lambda dp, sp, t: {"data": {"token": t}, "auth": ("nobody", "secret")},
            401,
            "invalid_client",
            id="unknown-client",
        ),
        pytest.param(
            lambda dp, sp, t: {
                "data": {"token": t, "client_id": dp.client_id, "client_secret": dp.client_secret}
            },
            401,
            "invalid_client",
            id="post-when-registered-for-basic",
        ),
        pytest.param(
            lambda dp, sp, t: {
                "data": {"token": t, "client_assertion_type": ASSERTION_TYPE, "client_assertion": "not-a-jwt"}
            },
            401,
            "invalid_client",
            id="malformed-assertion",
        ),
        pytest.param(
            lambda dp, sp, t: {"data": {"token": t}, "auth": (sp.client_id, sp.client_secret)},
            403,
            "unauthorized_client",
            id="service-provider",
        ),
        pytest.param(
            lambda dp, sp, t: {"data": {}, "auth": (dp.client_id, dp.client_secret)},
            400,
            "invalid_request",
            id="missing-token",
        ),
    ],
)
def test_introspection_errors(client, dgfip, service_provider, access_token, request_for, status, error):
    response = client.post("/introspect", **request_for(dgfip, service_provider, access_token))
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_operator_may_not_introspect(app, client, access_token):
    operator = make_client(app, role="operator", redirect_uris=[], operator_scope_override=[])
    response = client.post(
        "/introspect", data={"token": access_token}, auth=(operator.client_id, operator.client_secret)
    )
    assert (response.status_code, response.get_json()["error"]) == (403, "unauthorized_client")


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_only_post(client, method):
    response = client.open("/introspect", method=method)
    assert response.status_code == 405
    assert response.get_json()["error"] == "invalid_request"


def test_signed_response_verifies_against_jwks(client, dgfip, access_token):
    """RFC 9701: typ token-introspection+jwt, {iss, aud, iat, token_introspection}, no sub/exp."""
    plain = introspect(client, dgfip, access_token).get_json()
    response = introspect(client, dgfip, access_token, headers={"Accept": JWT_MEDIA_TYPE})
    assert response.status_code == 200
    assert response.content_type == JWT_MEDIA_TYPE
    assert response.headers["Cache-Control"] == "no-store"
    claims = verify_with_jwks(
        client, response.get_data(as_text=True), typ="token-introspection+jwt", audience=dgfip.client_id
    )
    assert set(claims) == {"iss", "aud", "iat", "token_introspection"}
    assert claims["token_introspection"] == plain


def test_signed_inactive_response(client, dgfip):
    response = introspect(client, dgfip, "garbage", headers={"Accept": "application/token-introspection+jwt"})
    claims = verify_with_jwks(
        client, response.get_data(as_text=True), typ="token-introspection+jwt", audience=dgfip.client_id
    )
    assert claims["token_introspection"] == INACTIVE


@pytest.mark.parametrize(
    ("accept", "jwt_expected"),
    [
        ("application/json", False),
        ("*/*", False),
        ("application/token-introspection+jwt", True),
        ("application/json;q=0.5, application/token-introspection+jwt", True),
        ("APPLICATION/TOKEN-INTROSPECTION+JWT; q=1", True),
    ],
)
def test_accept_negotiation(client, dgfip, access_token, accept, jwt_expected):
    response = introspect(client, dgfip, access_token, headers={"Accept": accept})
    assert (response.content_type == JWT_MEDIA_TYPE) is jwt_expected


def test_discovery_advertises_introspection_and_revocation(client):
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert metadata["introspection_endpoint"] == "http://127.0.0.1:5000/introspect"
    assert metadata["revocation_endpoint"] == "http://127.0.0.1:5000/revoke"
    assert metadata["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]
    assert metadata["introspection_signing_alg_values_supported"] == ["ES256"]
    assert "none" in metadata["revocation_endpoint_auth_methods_supported"]
