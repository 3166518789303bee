"""``/checktoken`` encrypted to a data provider registered by ``--jwks-uri`` (FranceConnect's
``generateJwe``), opened by panva's jose with the key the test serves."""

from __future__ import annotations

import pytest

from tests.idp.oauth2.introspection.conftest import unverified_claims
from tests.jose.peers import KeyServer, key_pair, node

ISSUER = "http://127.0.0.1:5000"


@pytest.fixture
def key_server():
    server = KeyServer()
    yield server
    server.stop()


def register_encryption(runner, dp, key_server, alg: str, signing: str = "ES256") -> dict:
    pair = key_pair(alg)
    key_server.jwks = {"keys": [pair["public"]]}
    result = runner.invoke(
        args=[
            "clients", "update", dp.client_id, "--jwks-uri", key_server.url,
            "--checktoken-signed-response-alg", signing,
            "--checktoken-encrypted-response-alg", alg, "--checktoken-encrypted-response-enc", "A256GCM",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return pair


def opened(client, dp, pair, token: str, path: str = "/api/v2/checktoken") -> dict:
    response = client.post(
        path, data={"token": token, "client_id": dp.client_id, "client_secret": dp.client_secret}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "application/token-introspection+jwt"
    return node(
        "decrypt",
        {
            "jwe": response.get_data(as_text=True),
            "keys": {"keys": [pair["private"]]},
            "jwks": client.get("/jwks").get_json(),
            "issuer": ISSUER,
            "audience": dp.client_id,
        },
    )


@pytest.mark.parametrize(
    ("alg", "signing"), [("ECDH-ES", "ES256"), ("RSA-OAEP", "RS256"), ("RSA-OAEP-256", "ES256")]
)
def test_an_encrypted_checktoken_answer_decrypts_and_verifies(
    client, runner, dgfip, access_token, key_server, alg, signing
):
    pair = register_encryption(runner, dgfip, key_server, alg, signing)
    answer = opened(client, dgfip, pair, access_token)
    # FranceConnect's JWE header names no key; the nested JWT says so with cty (RFC 7519 §5.2).
    assert set(answer["jwe_header"]) == (
        {"alg", "enc", "cty", "epk"} if alg == "ECDH-ES" else {"alg", "enc", "cty"}
    )
    assert (answer["jwe_header"]["alg"], answer["jwe_header"]["enc"]) == (alg, "A256GCM")
    assert answer["jws_header"]["alg"] == signing
    assert answer["jws_header"]["typ"] == "token-introspection+jwt"
    payload = answer["payload"]
    assert set(payload) == {"iss", "aud", "iat", "token_introspection"}
    assert payload["aud"] == dgfip.client_id
    introspection = payload["token_introspection"]
    access = unverified_claims(access_token)
    assert introspection["active"] is True
    assert introspection["aud"] == access["client_id"]  # the service provider
    assert introspection["scope"] == "dgfip_rfr"
    assert introspection["jti"] == access["jti"]
    assert introspection["given_name_array"] == ["Camille", "Anne"]
    assert key_server.requests >= 1


def test_an_unknown_token_is_inactive_and_still_encrypted(client, runner, dgfip, key_server):
    pair = register_encryption(runner, dgfip, key_server, "ECDH-ES")
    assert opened(client, dgfip, pair, "tototototo", "/checktoken")["payload"]["token_introspection"] == {
        "active": False
    }
