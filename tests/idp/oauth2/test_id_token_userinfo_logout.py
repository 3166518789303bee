"""ID token (OIDC Core §2, §3.1.3.6), userinfo (§5.3) and RP-initiated logout."""

from __future__ import annotations

import base64
import hashlib

import jwt
import pytest

from idp.clients.admin import ClientSettings, update_client
from tests.idp.conftest import IDENTITY_SCOPES, NONCE, CodeFlow, make_client, query_of

ISSUER = "http://127.0.0.1:5000"


def verify(client, token: str, audience: str | None = None, typ: str | None = None) -> dict:
    header = jwt.get_unverified_header(token)
    jwks = client.get("/jwks").get_json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    if typ:
        assert header["typ"] == typ
    options = {"verify_aud": audience is not None}
    return jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=[key["alg"]], audience=audience, issuer=ISSUER, options=options
    )


def test_id_token_claims(flow: CodeFlow):
    tokens = flow.tokens()
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "RS256"
    claims = verify(flow.http, tokens["id_token"], audience=flow.sp.client_id)
    for claim in ("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "at_hash"):
        assert claim in claims, claim
    assert claims["nonce"] == NONCE
    assert claims["acr"] == "eidas1"
    assert "amr" not in claims  # released only when asked for (tests/idp/oauth2/test_claims_parameter.py)
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert claims["given_name"] == "Camille Anne"
    assert claims["given_name_array"] == ["Camille", "Anne"]
    assert "preferred_username" not in claims  # scope not requested


def test_es256_id_tokens_per_client(app, client, citizen):
    sp = make_client(app, id_token_alg="ES256")
    tokens = CodeFlow(client, sp).tokens()
    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "ES256"
    verify(client, tokens["id_token"], audience=sp.client_id)


def test_sub_is_pairwise_per_client(app, client, citizen):
    first = CodeFlow(client, make_client(app, name="A")).tokens()
    second = CodeFlow(client, make_client(app, name="B")).tokens()
    sub_a = verify(client, first["id_token"])["sub"]
    sub_b = verify(client, second["id_token"])["sub"]
    assert sub_a != sub_b


def test_access_token_is_rfc9068(flow: CodeFlow):
    tokens = flow.tokens()
    claims = verify(flow.http, tokens["access_token"], typ="at+jwt")
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "ES256"
    for claim in ("iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "acr", "auth_time"):
        assert claim in claims
    assert claims["aud"] == ISSUER  # identity scopes only


def test_userinfo_releases_exactly_granted_claims(flow: CodeFlow):
    tokens = flow.tokens(scope="openid family_name birthdate")
    response = flow.http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"sub", "family_name", "birthdate"}
    post = flow.http.post("/userinfo", data={"access_token": tokens["access_token"]})
    assert post.get_json() == body


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({}, 401, None),
        ({"Authorization": "Bearer not-a-token"}, 401, "invalid_token"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, 400, "invalid_request"),
        ({"Authorization": "Bearer "}, 400, "invalid_request"),
    ],
)
def test_userinfo_errors_carry_www_authenticate(client, headers, status, error):
    response = client.get("/userinfo", headers=headers)
    assert response.status_code == status
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    if error:
        assert f'error="{error}"' in challenge


def test_userinfo_needs_openid(flow: CodeFlow):
    token = flow.http.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
        auth=(flow.sp.client_id, flow.sp.client_secret),
    ).get_json()["access_token"]
    response = flow.http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_token_whose_habilitation_was_revoked_is_inactive_at_userinfo(app, flow: CodeFlow):
    """Every scope of the token lost its habilitation: the token is no longer active, 401
    invalid_token (RFC 6750 §3.1), not 403 insufficient_scope."""
    token = flow.tokens()["access_token"]
    with app.app_context():
        update_client(flow.sp.client_id, ClientSettings(operator_scope_override=[]))
    response = flow.http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_token")


def test_logout_with_hint_redirects_to_registered_uri(flow: CodeFlow):
    tokens = flow.tokens()
    response = flow.http.get(
        "/logout",
        query_string={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://sp.example.fr/bye",
            "state": "bye-1",
        },
    )
    assert response.status_code == 303
    assert query_of(response.headers["Location"]) == {"state": "bye-1"}
    # The session is over: the next authorization asks to sign in again.
    again = flow.http.get("/authorize", query_string=flow.authorize_params())
    assert again.headers["Location"].startswith("/identity-providers")


@pytest.mark.parametrize(
    "params",
    [
        {"post_logout_redirect_uri": "https://attacker.example/"},
        {"post_logout_redirect_uri": "https://sp.example.fr/bye", "id_token_hint": "garbage"},
    ],
)
def test_logout_refuses_unregistered_redirects(flow: CodeFlow, params):
    tokens = flow.tokens()
    params = {"id_token_hint": tokens["id_token"], **params}
    response = flow.http.get("/logout", query_string=params)
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_logout_revokes_the_access_tokens_of_that_sign_in(flow: CodeFlow):
    tokens = flow.tokens()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert flow.http.get("/userinfo", headers=bearer).status_code == 200
    response = flow.http.get("/logout", query_string={"id_token_hint": tokens["id_token"]})
    assert response.status_code == 200
    after = flow.http.get("/userinfo", headers=bearer)
    assert (after.status_code, after.get_json()["error"]) == (401, "invalid_token")


def test_an_access_token_is_not_an_id_token_hint(flow: CodeFlow):
    tokens = flow.tokens()
    response = flow.http.get(
        "/logout",
        query_string={
            "id_token_hint": tokens["access_token"],
            "post_logout_redirect_uri": "https://sp.example.fr/bye",
        },
    )
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_logout_without_hint_asks_for_confirmation(flow: CodeFlow):
    flow.tokens()
    response = flow.http.get("/logout")
    assert response.status_code == 200
    assert 'name="confirm"' in response.get_data(as_text=True)


def test_discovery_is_truthful(client):
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert metadata["issuer"] == ISSUER
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["acr_values_supported"] == ["eidas1", "eidas2", "eidas3"]
    assert metadata["response_types_supported"] == ["code"]
    assert "dgfip_rfr" in metadata["scopes_supported"]
    assert "given_name_array" in metadata["claims_supported"]
    assert client.get("/.well-known/oauth-authorization-server").get_json() == metadata
    for key, value in metadata.items():
        if key.endswith("_endpoint") or key == "jwks_uri":
            path = value.removeprefix(ISSUER)
            assert client.open(path, method="OPTIONS").status_code != 404, key
    assert IDENTITY_SCOPES.split()[0] in metadata["scopes_supported"]
