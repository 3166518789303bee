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
