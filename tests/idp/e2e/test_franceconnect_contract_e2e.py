"""Acceptance, over HTTP against a real ``idp serve``: FranceConnect v2's integrations work
unchanged (issue 15).

- openid-client (a certified relying party library) discovers the provider, then signs a
  citizen in as a service provider that registered encrypted ID tokens and signed,
  encrypted userinfo (``enableDecryptingResponses``), its keys at its ``jwks_uri``.
- A data provider written against FranceConnect v2 (``peers.mjs fc-data-provider``,
  transcribed from FranceConnect's ``data-provider-adapter-core``) checks the service
  provider's access token at ``/api/v2/checktoken``: a form request, an answer it decrypts
  with its key and verifies with our ``/jwks``, ``token_introspection.aud`` the service.
"""

from __future__ import annotations

import pytest

from tests.e2e_server import start_server
from tests.idp.e2e.test_data_provider_e2e import MARIE, sign_in
from tests.jose.peers import KeyServer, key_pair, node

pytestmark = pytest.mark.e2e

REDIRECT_URI = "https://service.example.fr/callback"
SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry cnaf_quotient_familial"
#: What the service registers, and tells openid-client it registered (OIDC Registration §2).
SERVICE_METADATA = {
    "id_token_signed_response_alg": "ES256",
    "id_token_encrypted_response_alg": "RSA-OAEP-256",
    "id_token_encrypted_response_enc": "A256GCM",
    "userinfo_signed_response_alg": "ES256",
    "userinfo_encrypted_response_alg": "ECDH-ES",
    "userinfo_encrypted_response_enc": "A256GCM",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("fc-contract"), workers=2)
    keys, provider_keys = KeyServer(), KeyServer()  # each client's jwks_uri
    try:
        service_keys = [key_pair("RSA-OAEP-256"), key_pair("ECDH-ES")]
        provider_key = key_pair("ECDH-ES")
        keys.jwks = {"keys": [pair["public"] for pair in service_keys]}
        provider_keys.jwks = {"keys": [provider_key["public"]]}
        answer_options = [
            item
            for name, value in SERVICE_METADATA.items()
            if name != "id_token_signed_response_alg"  # the CLI's --id-token-alg
            for item in ("--" + name.replace("_", "-"), value)
        ]
        service = server.idp_json(
            "clients", "create", "--name", "Service chiffré", "--redirect-uri", REDIRECT_URI,
            "--allowed-scopes", SCOPE, "--jwks-uri", keys.url,
            "--id-token-alg", "ES256", *answer_options, "--json",
        )  # fmt: skip
        provider = server.idp_json(
            "clients", "create", "--name", "CNAF", "--role", "data-provider", "--namespace", "cnaf",
            "--auth-method", "client_secret_post", "--jwks-uri", provider_keys.url,
            "--checktoken-signed-response-alg", "ES256", "--checktoken-encrypted-response-alg", "ECDH-ES",
            "--checktoken-encrypted-response-enc", "A256GCM",
            "--json",
        )  # fmt: skip
        yield {
            "server": server,
            "service": {
                **service,
                "private": {"keys": [pair["private"] for pair in service_keys]},
            },
            "provider": {**provider, "private": {"keys": [provider_key["private"]]}},
        }
    finally:
        keys.stop()
        provider_keys.stop()
        server.stop()


def relying_party(world) -> dict:
    service = world["service"]
    return {
        "issuer": world["server"].url,
        "client_id": service["client_id"],
        "client_secret": service["client_secret"],
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "metadata": SERVICE_METADATA,
        "keys": service["private"],
    }


@pytest.fixture(scope="module")
def signed_in(world) -> dict:
    """openid-client's code flow, Marie at the browser; what it decrypted and verified."""
    rp = relying_party(world)
    started = node("rp-start", rp)
    callback = sign_in(started["url"], REDIRECT_URI)
    return node("rp-finish", {**rp, **started, "callback_url": callback})


def fc_data_provider(world, token: str, path: str = "/api/v2/checktoken") -> dict:
    server, provider = world["server"], world["provider"]
    return node(
        "fc-data-provider",
        {
            "checktokenEndpoint": server.url + path,
            "jwksEndpoint": server.url + "/jwks",
            "issuer": server.url,
            "client_id": provider["client_id"],
            "client_secret": provider["client_secret"],
            "token": token,
            "checktokenEncryptedResponseAlg": "ECDH-ES",
            "checktokenEncryptedResponseEnc": "A256GCM",
            "jwks": provider["private"],
        },
    )


def test_openid_client_discovers_the_provider(world):
    metadata = node("discover", {"issuer": world["server"].url})
    assert metadata["issuer"] == world["server"].url
    assert metadata["userinfo_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert metadata["id_token_encryption_enc_values_supported"] == ["A256GCM"]
    assert metadata["claim_types_supported"] == ["normal"]


def test_openid_client_decrypts_the_id_token_and_the_userinfo(world, signed_in):
    assert signed_in["id_token"].count(".") == 4  # a JWE (RFC 7516 §7.1)
    claims, userinfo = signed_in["claims"], signed_in["userinfo"]
    assert claims["aud"] == world["service"]["client_id"] and claims["iss"] == world["server"].url
    assert userinfo["sub"] == claims["sub"]
    assert {name: userinfo[name] for name in MARIE} == MARIE
    assert userinfo["aud"] == world["service"]["client_id"] and userinfo["iss"] == world["server"].url


def test_a_franceconnect_v2_data_provider_works_unchanged(world, signed_in):
    answer = fc_data_provider(world, signed_in["access_token"])
    assert answer["content_type"] == "application/token-introspection+jwt"
    assert set(answer["jwe_header"]) == {"alg", "enc", "cty", "epk"}
    payload = answer["payload"]
    assert set(payload) == {"iss", "aud", "iat", "token_introspection"}
    assert payload["aud"] == world["provider"]["client_id"]
    introspection = payload["token_introspection"]
    assert introspection["active"] is True
    assert introspection["aud"] == world["service"]["client_id"]
    assert introspection["scope"] == "cnaf_quotient_familial"
    assert introspection["sub"] != signed_in["claims"]["sub"]  # the data provider's own
    assert introspection["acr"] == "eidas1"
    assert introspection["exp"] > introspection["iat"]
    assert {name: introspection[name] for name in MARIE} == MARIE
    assert introspection["given_name_array"] == MARIE["given_name"].split()
    # The same answer at /checktoken; a token that is not ours is inactive, still encrypted.
    assert (
        fc_data_provider(world, signed_in["access_token"], "/checktoken")["payload"]["token_introspection"][
            "sub"
        ]
        == introspection["sub"]
    )
    assert fc_data_provider(world, "tototototo")["payload"]["token_introspection"] == {"active": False}
