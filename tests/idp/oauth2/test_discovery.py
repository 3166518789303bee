"""Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2), checked by Authlib's validators."""

from __future__ import annotations

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata

from idp.paths import ADVERTISED, ENDPOINT_PATHS


def test_openid_configuration_passes_authlib_s_validation(client):
    metadata = client.get("/.well-known/openid-configuration").get_json()
    OpenIDProviderMetadata(metadata).validate()


def test_oauth_authorization_server_metadata_passes_authlib_s_validation(client):
    metadata = client.get("/.well-known/oauth-authorization-server").get_json()
    AuthorizationServerMetadata(metadata).validate()


def test_every_advertised_endpoint_is_served(client):
    metadata = client.get("/.well-known/openid-configuration").get_json()
    for name in ADVERTISED:
        assert metadata[name] == "http://127.0.0.1:5000" + ENDPOINT_PATHS[name]
        path = ENDPOINT_PATHS[name]
        assert client.open(path, method="POST" if name != "jwks_uri" else "GET").status_code != 404, path


#: FranceConnect's discovery document (``quality/fcp/cypress/support/api/dto/get-discovery.dto.ts``,
#: ``GetDiscoveryDto`` and ``GetDiscoveryWithEncryptionDto``), field by field.
FRANCECONNECT_FIELDS = {
    "acr_values_supported", "authorization_endpoint", "claims_parameter_supported", "claims_supported",
    "code_challenge_methods_supported", "end_session_endpoint", "grant_types_supported",
    "id_token_signing_alg_values_supported", "issuer", "jwks_uri",
    "authorization_response_iss_parameter_supported", "response_modes_supported",
    "response_types_supported", "scopes_supported", "subject_types_supported",
    "token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
    "token_endpoint", "request_object_signing_alg_values_supported", "request_parameter_supported",
    "request_uri_parameter_supported", "require_request_uri_registration",
    "dpop_signing_alg_values_supported", "userinfo_endpoint", "userinfo_signing_alg_values_supported",
    "revocation_endpoint", "claim_types_supported",
    "id_token_encryption_alg_values_supported", "id_token_encryption_enc_values_supported",
    "userinfo_encryption_alg_values_supported", "userinfo_encryption_enc_values_supported",
    "request_object_encryption_alg_values_supported", "request_object_encryption_enc_values_supported",
}  # fmt: skip
#: What idp does not implement: request objects (``request_parameter_supported`` is false) and DPoP.
NOT_IMPLEMENTED = {
    "request_object_signing_alg_values_supported",
    "request_object_encryption_alg_values_supported",
    "request_object_encryption_enc_values_supported",
    "dpop_signing_alg_values_supported",
}


def test_every_field_of_franceconnect_s_discovery_that_idp_implements(client):
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert set(metadata) >= FRANCECONNECT_FIELDS - NOT_IMPLEMENTED
    assert not NOT_IMPLEMENTED & set(metadata)
    assert metadata["request_parameter_supported"] is False
    assert metadata["claim_types_supported"] == ["normal"]


def test_the_signing_and_encryption_values_are_those_a_client_may_register(client):
    """FranceConnect+'s values (``core-fcp-high/src/config/oidc-provider.ts``), and our keys'."""
    metadata = client.get("/.well-known/openid-configuration").get_json()
    for answer in ("id_token", "userinfo"):
        assert metadata[f"{answer}_encryption_alg_values_supported"] == [
            "ECDH-ES",
            "RSA-OAEP",
            "RSA-OAEP-256",
        ]
        assert metadata[f"{answer}_encryption_enc_values_supported"] == ["A256GCM"]
    assert metadata["userinfo_signing_alg_values_supported"] == ["ES256", "RS256"]
    published = {key["alg"] for key in client.get("/jwks").get_json()["keys"]}
    assert set(metadata["userinfo_signing_alg_values_supported"]) <= published


def test_scopes_supported_lists_what_a_service_provider_may_request(client):
    scopes = client.get("/.well-known/openid-configuration").get_json()["scopes_supported"]
    assert "registry_write" not in scopes  # a data provider's scope on the registry API
    assert "offline_access" in scopes  # the refresh_token grant is on
    assert {"openid", "given_name", "dgfip_rfr"} <= set(scopes)
    assert len(scopes) == len(set(scopes))


def test_the_claims_parameter_is_advertised(client):
    """OIDC Discovery §3: idp parses ``claims`` (tests/idp/oauth2/test_claims_parameter.py)."""
    assert client.get("/.well-known/openid-configuration").get_json()["claims_parameter_supported"] is True
