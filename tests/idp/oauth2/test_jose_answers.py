"""Signed and encrypted answers (idp.oauth2.jose_answers), read by independent JOSE code:
ID tokens encrypted to the service provider, userinfo signed (PyJWT) and encrypted (panva's
jose), the service provider's key registered inline or served at its ``jwks_uri``."""

from __future__ import annotations

import jwt
import pytest

from idp.extensions import db
from idp.models import Client
from tests.idp.conftest import CodeFlow, make_client
from tests.jose.peers import KeyServer, key_pair, node

ISSUER = "http://127.0.0.1:5000"
ENCRYPTION_ALGS = ("RSA-OAEP", "RSA-OAEP-256", "ECDH-ES")


@pytest.fixture
def key_server():
    server = KeyServer()
    yield server
    server.stop()


def our_jwks(client) -> dict:
    return client.get("/jwks").get_json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def decrypted(client, jwe: str, pair: dict, audience: str) -> dict:
    """jose decrypts with the service provider's private key, then verifies with our /jwks."""
    return node(
        "decrypt",
        {
            "jwe": jwe,
            "keys": {"keys": [pair["private"]]},
            "jwks": our_jwks(client),
            "issuer": ISSUER,
            "audience": audience,
        },
    )


def expected_jwe_header(alg: str) -> set:
    """node-oidc-provider's (and so FranceConnect's): cty, the key's kid, iss and aud repeated."""
    names = {"alg", "enc", "cty", "kid", "iss", "aud"}
    return names | {"epk"} if alg == "ECDH-ES" else names


@pytest.mark.parametrize("alg", ENCRYPTION_ALGS)
def test_an_encrypted_id_token_decrypts_and_verifies(app, client, citizen, alg):
    pair = key_pair(alg)
    sp = make_client(
        app,
        jwks={"keys": [pair["public"]]},
        id_token_alg="ES256",
        id_token_encrypted_response_alg=alg,
        id_token_encrypted_response_enc="A256GCM",
    )
    flow = CodeFlow(client, sp)
    tokens = flow.tokens()
    assert tokens["id_token"].count(".") == 4  # RFC 7516 §7.1: five parts
    opened = decrypted(client, tokens["id_token"], pair, sp.client_id)
    header = opened["jwe_header"]
    assert set(header) == expected_jwe_header(alg)
    assert header["alg"] == alg and header["enc"] == "A256GCM" and header["cty"] == "JWT"
    assert (header["kid"], header["iss"], header["aud"]) == (pair["public"]["kid"], ISSUER, sp.client_id)
    assert set(opened["jws_header"]) == {"alg", "kid"} and opened["jws_header"]["alg"] == "ES256"
    claims = opened["payload"]
    assert claims["nonce"] == flow.authorize_params()["nonce"]
    assert claims["given_name"] == "Camille Anne" and "at_hash" in claims
    # The access token still works at userinfo, which stays plain JSON for this client.
    info = client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert info.content_type == "application/json" and info.get_json()["sub"] == claims["sub"]


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_signed_userinfo_is_a_jwt_with_iss_aud_iat_exp(app, client, citizen, alg):
    """OIDC Core §5.3.2, as FranceConnect answers it: ``application/jwt``, header
    ``{alg, kid}``, the released claims plus iss, aud, iat and the access token's exp."""
    plain = CodeFlow(client, make_client(app, name="JSON")).tokens()
    plain_info = client.get("/userinfo", headers=bearer(plain["access_token"])).get_json()
    sp = make_client(app, userinfo_signed_response_alg=alg)
    tokens = CodeFlow(client, sp).tokens()
    response = client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert response.content_type == "application/jwt"
    assert response.headers["Cache-Control"] == "no-store"
    token = response.get_data(as_text=True)
    header = jwt.get_unverified_header(token)
    assert set(header) == {"alg", "kid"} and header["alg"] == alg
    key = next(key for key in our_jwks(client)["keys"] if key["kid"] == header["kid"])
    claims = jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=[alg], audience=sp.client_id, issuer=ISSUER,
        options={"require": ["iss", "aud", "iat", "exp", "sub"]},
    )  # fmt: skip
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["exp"] == access["exp"]
    assert set(claims) - {"iss", "aud", "iat", "exp"} == set(plain_info)
    assert claims["family_name"] == plain_info["family_name"] == "Durand"


@pytest.mark.parametrize("alg", ENCRYPTION_ALGS)
def test_encrypted_userinfo_to_the_key_at_the_jwks_uri(app, client, citizen, key_server, alg):
    pair = key_pair(alg)
    key_server.jwks = {"keys": [pair["public"]]}
    sp = make_client(
        app,
        jwks_uri=key_server.url,
        userinfo_signed_response_alg="RS256",
        userinfo_encrypted_response_alg=alg,
        userinfo_encrypted_response_enc="A256GCM",
    )
    tokens = CodeFlow(client, sp).tokens()
    assert tokens["id_token"].count(".") == 2  # the ID token is only signed
    response = client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert (response.status_code, response.content_type) == (200, "application/jwt")
    opened = decrypted(client, response.get_data(as_text=True), pair, sp.client_id)
    assert set(opened["jwe_header"]) == expected_jwe_header(alg)
    assert opened["jwe_header"]["kid"] == pair["public"]["kid"]
    assert opened["jws_header"]["alg"] == "RS256"
    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert opened["payload"]["sub"] == id_token["sub"]
    assert opened["payload"]["aud"] == sp.client_id and opened["payload"]["iss"] == ISSUER
    assert key_server.requests >= 1


def test_a_client_whose_key_is_gone_gets_invalid_client_metadata(app, client, citizen):
    """Its keys changed after registration (which checked them): a clear 400, never a 500."""
    pair = key_pair("ECDH-ES")
    sp = make_client(
        app,
        jwks={"keys": [pair["public"]]},
        userinfo_signed_response_alg="ES256",
        userinfo_encrypted_response_alg="ECDH-ES",
        userinfo_encrypted_response_enc="A256GCM",
    )
    tokens = CodeFlow(client, sp).tokens()
    with app.app_context():
        registered = db.session.scalar(db.select(Client).where(Client.client_id == sp.client_id))
        registered.jwks = {"keys": [{**pair["public"], "use": "sig"}]}
        db.session.commit()
    response = client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_client_metadata",
        "error_description": "no suitable encryption key found (ECDH-ES)",
    }
