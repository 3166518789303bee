"""``idp clients create|update``: the signed and encrypted answers' metadata (OIDC Registration
§2, FranceConnect's ``checktoken_*``), ``--resource-uri`` (RFC 8707) and ``--allowed-prompts``."""

from __future__ import annotations

import json

import pytest

from tests.jose.peers import KeyServer, key_pair

SP = ("--name", "Service", "--redirect-uri", "https://sp.example.fr/cb")
DP = ("--name", "Fournisseur", "--role", "data-provider", "--namespace", "dgfip")
ENCRYPTED_USERINFO = (
    "--userinfo-signed-response-alg", "ES256",
    "--userinfo-encrypted-response-alg", "ECDH-ES", "--userinfo-encrypted-response-enc", "A256GCM",
)  # fmt: skip


@pytest.fixture(scope="module")
def keys() -> dict:
    """One key pair per algorithm family, made by panva's jose."""
    return {alg: key_pair(alg) for alg in ("ECDH-ES", "RSA-OAEP")}


def jwks_file(tmp_path, *jwks: dict) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": list(jwks)}))
    return str(path)


def run(runner, *args: str):
    return runner.invoke(args=["clients", *args])


def created(runner, *options: str) -> dict:
    result = run(runner, "create", *options, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def shown(runner, client_id: str) -> dict:
    return json.loads(run(runner, "show", client_id).output)


def test_an_encrypting_service_provider_shows_its_metadata(runner, tmp_path, keys):
    client_id = created(
        runner, *SP, "--jwks", jwks_file(tmp_path, keys["ECDH-ES"]["public"]), *ENCRYPTED_USERINFO,
        "--id-token-encrypted-response-alg", "ECDH-ES", "--id-token-encrypted-response-enc", "A256GCM",
        "--allowed-prompts", "login consent",
    )["client_id"]  # fmt: skip
    client = shown(runner, client_id)
    assert {name: client[name] for name in client if "_response_" in name} == {
        "id_token_signed_response_alg": "RS256",
        "userinfo_signed_response_alg": "ES256",
        "userinfo_encrypted_response_alg": "ECDH-ES",
        "userinfo_encrypted_response_enc": "A256GCM",
        "id_token_encrypted_response_alg": "ECDH-ES",
        "id_token_encrypted_response_enc": "A256GCM",
        "checktoken_signed_response_alg": None,
        "checktoken_encrypted_response_alg": None,
        "checktoken_encrypted_response_enc": None,
    }
    assert client["allowed_prompts"] == ["login", "consent"]
    assert client["resource_uri"] is None


def test_an_empty_value_unsets(runner, tmp_path, keys):
    client_id = created(
        runner, *SP, "--jwks", jwks_file(tmp_path, keys["ECDH-ES"]["public"]), *ENCRYPTED_USERINFO,
        "--allowed-prompts", "login",
    )["client_id"]  # fmt: skip
    result = run(
        runner, "update", client_id, "--userinfo-encrypted-response-alg", "",
        "--userinfo-encrypted-response-enc", "", "--allowed-prompts", "",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    client = shown(runner, client_id)
    assert client["userinfo_encrypted_response_alg"] is client["userinfo_encrypted_response_enc"] is None
    assert client["userinfo_signed_response_alg"] == "ES256"
    assert client["allowed_prompts"] is None


def test_a_data_provider_with_encrypted_checktoken_at_its_jwks_uri(runner, keys):
    server = KeyServer()
    server.jwks = {"keys": [keys["RSA-OAEP"]["public"]]}
    try:
        client_id = created(
            runner, *DP, "--jwks-uri", server.url, "--checktoken-signed-response-alg", "RS256",
            "--checktoken-encrypted-response-alg", "RSA-OAEP",
            "--checktoken-encrypted-response-enc", "A256GCM",
            "--resource-uri", "https://api.dgfip.example.fr/impot-particulier",
        )["client_id"]  # fmt: skip
    finally:
        server.stop()
    assert server.requests == 1  # the key was looked for at configuration time
    client = shown(runner, client_id)
    assert client["checktoken_signed_response_alg"] == "RS256"
    assert client["checktoken_encrypted_response_alg"] == "RSA-OAEP"
    assert client["resource_uri"] == "https://api.dgfip.example.fr/impot-particulier"


def test_a_resource_uri_belongs_to_one_data_provider(runner):
    uri = "https://api.example.fr/v1"
    created(runner, *DP, "--resource-uri", uri)
    result = run(runner, "create", "--name", "Autre", "--role", "data-provider", "--namespace", "cnaf",
                 "--resource-uri", uri)  # fmt: skip
    assert result.exit_code == 2
    assert "already belongs to" in result.output
    loopback = created(runner, "--name", "Local", "--role", "data-provider", "--namespace", "cnaf",
                       "--resource-uri", "http://127.0.0.1:8080/api")  # fmt: skip
    assert shown(runner, loopback["client_id"])["resource_uri"] == "http://127.0.0.1:8080/api"


def test_a_data_provider_cannot_become_a_service_provider_with_checktoken_settings(runner):
    client_id = created(runner, *DP, "--checktoken-signed-response-alg", "RS256")["client_id"]
    result = run(runner, "update", client_id, "--role", "service-provider", "--namespace", "")
    assert result.exit_code == 2
    assert "only a data provider has --checktoken-signed-response-alg" in result.output


ECDH = ("--id-token-encrypted-response-alg", "ECDH-ES", "--id-token-encrypted-response-enc", "A256GCM")


@pytest.mark.parametrize(
    ("options", "jwks", "message"),
    [
        pytest.param(
            ("--id-token-encrypted-response-alg", "RSA-OAEP"),
            None,
            "-alg and -enc go together",
            id="alg-alone",
        ),
        pytest.param(
            ("--userinfo-encrypted-response-enc", "A256GCM"),
            None,
            "-alg and -enc go together",
            id="enc-alone",
        ),
        pytest.param(ECDH, None, "registered no keys (--jwks or --jwks-uri)", id="no-key"),
        pytest.param(ECDH, "sig-key", "needs a public EC or OKP key with use enc", id="signing-key-only"),
        pytest.param(
            ("--id-token-encrypted-response-alg", "RSA-OAEP", "--id-token-encrypted-response-enc", "A256GCM"),
            "ec-key",
            "needs a public RSA key with use enc",
            id="wrong-key-type",
        ),
        pytest.param(
            ("--userinfo-encrypted-response-alg", "ECDH-ES", "--userinfo-encrypted-response-enc", "A256GCM"),
            "ec-key",
            "needs --userinfo-signed-response-alg",
            id="userinfo-encrypted-unsigned",
        ),
        pytest.param(ECDH, "unreachable", "jwks_uri could not be fetched", id="jwks-uri-down"),
        pytest.param(
            ("--id-token-encrypted-response-alg", "RSA-OAEP", "--id-token-encrypted-response-enc", "A256GCM"),
            "broken-keys",
            "needs a public RSA key with use enc",
            id="malformed-keys",
        ),
        pytest.param(
            ("--checktoken-signed-response-alg", "ES256"),
            None,
            "only a data provider has",
            id="checktoken-on-sp",
        ),
        pytest.param(
            ("--resource-uri", "https://api.example.fr"), None, "only a data provider", id="resource-on-sp"
        ),
        pytest.param(
            ("--allowed-prompts", "select_account"), None, "--allowed-prompts takes", id="unknown-prompt"
        ),
        pytest.param(("--userinfo-signed-response-alg", "HS256"), None, "Invalid value", id="hs256"),
        pytest.param(("--id-token-encrypted-response-enc", "A128CBC-HS256"), None, "Invalid value", id="enc"),
    ],
)
def test_invalid_answer_metadata_is_a_usage_error(runner, tmp_path, keys, options, jwks, message):
    key_options: tuple[str, ...] = ()
    if jwks == "sig-key":
        key_options = ("--jwks", jwks_file(tmp_path, {**keys["ECDH-ES"]["public"], "use": "sig"}))
    elif jwks == "ec-key":
        key_options = ("--jwks", jwks_file(tmp_path, keys["ECDH-ES"]["public"]))
    elif jwks == "broken-keys":
        broken = [
            {"kty": "RSA"},
            {"kty": "RSA", "n": 5, "e": "AQAB"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        ]
        key_options = ("--jwks", jwks_file(tmp_path, *broken))
    elif jwks == "unreachable":
        key_options = ("--jwks-uri", "http://127.0.0.1:9/jwks.json")
    result = run(runner, "create", *SP, *key_options, *options)
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://api.example.fr/v1", "https"),
        ("https://api.example.fr/v1#part", "fragment"),
        ("https://api.example.fr/v1?x=1", "no query"),
        ("/v1", "absolute"),
    ],
)
def test_a_resource_uri_is_absolute_https_without_fragment(runner, uri, message):
    """RFC 8707 §2: an absolute URI, no fragment (and no query, which it SHOULD NOT have)."""
    result = run(runner, "create", *DP, "--resource-uri", uri)
    assert result.exit_code == 2
    assert message in result.output
