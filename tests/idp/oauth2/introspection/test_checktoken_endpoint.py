"""POST /checktoken: the FranceConnect v2-style introspection (form credentials, JWT answer)."""

from __future__ import annotations

import pytest

from tests.idp.oauth2.introspection.conftest import unverified_claims, verify_with_jwks

JWT_MEDIA_TYPE = "application/token-introspection+jwt"


def checktoken(client, dp, token):
    return client.post(
        "/checktoken", data={"token": token, "client_id": dp.client_id, "client_secret": dp.client_secret}
    )


def test_answers_a_signed_jwt_holding_the_introspection(client, dgfip, access_token):
    response = checktoken(client, dgfip, access_token)
    assert response.status_code == 200
    assert response.content_type == JWT_MEDIA_TYPE
    assert response.headers["Cache-Control"] == "no-store"
    claims = verify_with_jwks(
        client, response.get_data(as_text=True), typ="token-introspection+jwt", audience=dgfip.client_id
    )
    assert set(claims) == {"iss", "aud", "iat", "token_introspection"}
    assert claims["aud"] == dgfip.client_id
    introspected = client.post(
        "/introspect", data={"token": access_token}, auth=(dgfip.client_id, dgfip.client_secret)
    ).get_json()
    assert claims["token_introspection"] == introspected
    assert introspected["active"] is True
    assert introspected["scope"] == "dgfip_rfr"
    assert introspected["client_id"] == unverified_claims(access_token)["client_id"]


def test_a_basic_registered_or_post_registered_data_provider_may_call(client, cnaf, access_token):
    """FranceConnect's endpoint takes form fields whatever the registered secret method."""
    response = checktoken(client, cnaf, access_token)
    claims = verify_with_jwks(
        client, response.get_data(as_text=True), typ="token-introspection+jwt", audience=cnaf.client_id
    )
    assert claims["token_introspection"] == {"active": False}  # none of the CNAF's scopes


def test_unknown_token_is_inactive(client, dgfip):
    response = checktoken(client, dgfip, "nope")
    claims = verify_with_jwks(
        client, response.get_data(as_text=True), typ="token-introspection+jwt", audience=dgfip.client_id
    )
    assert claims["token_introspection"] == {"active": False}


@pytest.mark.parametrize(
    ("form_for", "status", "error"),
    [
        pytest.param(
            lambda dp, sp, t: {"client_id": dp.client_id, "client_secret": dp.client_secret},
            400,
            "invalid_request",
            id="missing-token",
        ),
        pytest.param(
            lambda dp, sp, t: {"token": t, "client_secret": dp.client_secret},
            400,
            "invalid_request",
            id="missing-client-id",
        ),
        pytest.param(
            lambda dp, sp, t: {"token": t, "client_id": dp.client_id},
            400,
            "invalid_request",
            id="missing-client-secret",
        ),
        pytest.param(lambda dp, sp, t: {}, 400, "invalid_request", id="empty-form"),
        pytest.param(
            lambda dp, sp, t: {"token": [t, t], "client_id": dp.client_id, "client_secret": dp.client_secret},
            400,
            "invalid_request",
            id="repeated-token",
        ),
        pytest.param(
            lambda dp, sp, t: {"token": t, "client_id": dp.client_id, "client_secret": "wrong"},
            401,
            "invalid_client",
            id="bad-secret",
        ),
        pytest.param(
            lambda dp, sp, t: {"token": t, "client_id": "nobody", "client_secret": "x"},
            401,
            "invalid_client",
            id="unknown-client",
        ),
        pytest.param(
            lambda dp, sp, t: {"token": t, "client_id": "x" * 500, "client_secret": "x"},
            401,
            "invalid_client",
            id="oversized-client-id",
        ),
        pytest.param(
            lambda dp, sp, t: {"token": t, "client_id": sp.client_id, "client_secret": sp.client_secret},
            403,
            "unauthorized_client",
            id="service-provider",
        ),
    ],
)
def test_checktoken_errors(client, dgfip, service_provider, access_token, form_for, status, error):
    response = client.post("/checktoken", data=form_for(dgfip, service_provider, access_token))
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


def test_bad_credentials_get_a_challenge(client, dgfip, access_token):
    response = client.post(
        "/checktoken", data={"token": access_token, "client_id": dgfip.client_id, "client_secret": "wrong"}
    )
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_json_body_is_not_a_form(client, dgfip, access_token):
    response = client.post(
        "/checktoken",
        json={"token": access_token, "client_id": dgfip.client_id, "client_secret": dgfip.client_secret},
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_request")
