"""POST /checktoken: the FranceConnect v2-style introspection (form credentials, JWT answer)."""

from __future__ import annotations

import jwt
import pytest

from idp.clients.admin import ClientSettings, update_client
from tests.idp.oauth2.introspection.conftest import unverified_claims, verify_with_jwks

JWT_MEDIA_TYPE = "application/token-introspection+jwt"


def checktoken(client, dp, token, path="/checktoken"):
    return client.post(
        path, data={"token": token, "client_id": dp.client_id, "client_secret": dp.client_secret}
    )


@pytest.mark.parametrize("path", ["/checktoken", "/api/v2/checktoken"])
def test_answers_franceconnect_s_signed_token_introspection(client, dgfip, access_token, path):
    """FranceConnect's ``generateValidResponse``: the service provider as ``aud``, the data
    provider's own ``sub``, its scopes only, the pivot identity; signed ES256 by default."""
    response = checktoken(client, dgfip, access_token, path)
    assert response.status_code == 200
    assert response.content_type == JWT_MEDIA_TYPE
    assert response.headers["Cache-Control"] == "no-store"
    token = response.get_data(as_text=True)
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    claims = verify_with_jwks(client, token, typ="token-introspection+jwt", audience=dgfip.client_id)
    assert set(claims) == {"iss", "aud", "iat", "token_introspection"}
    assert claims["aud"] == dgfip.client_id
    access = unverified_claims(access_token)
    introspected = client.post(
        "/introspect", data={"token": access_token}, auth=(dgfip.client_id, dgfip.client_secret)
    ).get_json()
    assert claims["token_introspection"] == {
        "active": True,
        "aud": access["client_id"],
        "sub": introspected["sub"],
        "iat": access["iat"],
        "exp": access["exp"],
        "acr": "eidas1",
        "jti": access["jti"],
        "scope": "dgfip_rfr",
        "gender": "female",
        "family_name": "Durand",
        "given_name": "Camille Anne",
        "given_name_array": ["Camille", "Anne"],
        "birthdate": "1990-02-28",
        "birthplace": "75056",
        "birthcountry": "99100",
    }
    assert introspected["sub"] != access["sub"]  # pairwise for the data provider


def test_signed_with_the_data_provider_s_algorithm(app, client, dgfip, access_token):
    with app.app_context():
        update_client(dgfip.client_id, ClientSettings(checktoken_signed_response_alg="RS256"))
    token = checktoken(client, dgfip, access_token).get_data(as_text=True)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = verify_with_jwks(client, token, typ="token-introspection+jwt", audience=dgfip.client_id)
    assert claims["token_introspection"]["active"] is True


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
            lambda dp, sp, t: {
                "token": t,
                "client_id": dp.client_id,
                "client_secret": dp.client_secret,
                "x": "1",
            },
            400,
            "invalid_request",
            id="extra-field",
        ),
        pytest.param(
            lambda dp, sp, t: {
                "token": t,
                "client_id": dp.client_id,
                "client_secret": dp.client_secret,
                "token_type_hint": "access_token",
            },
            400,
            "invalid_request",
            id="rfc7662-hint-is-not-franceconnect-s",
        ),
        pytest.param(
            lambda dp, sp, t: {"token": "", "client_id": dp.client_id, "client_secret": dp.client_secret},
            400,
            "invalid_request",
            id="empty-token",
        ),
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
@pytest.mark.parametrize("path", ["/checktoken", "/api/v2/checktoken"])
def test_checktoken_errors(client, dgfip, service_provider, access_token, form_for, status, error, path):
    response = client.post(path, data=form_for(dgfip, service_provider, access_token))
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


def test_a_query_parameter_is_refused_too(client, dgfip, access_token):
    response = client.post(
        "/api/v2/checktoken?debug=1",
        data={"token": access_token, "client_id": dgfip.client_id, "client_secret": dgfip.client_secret},
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_request")


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
