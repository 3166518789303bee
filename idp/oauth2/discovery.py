"""Provider metadata: OIDC Discovery 1.0 §3 and RFC 8414 §2, advertising exactly what is
implemented. Scopes and claims come from the registry."""

from __future__ import annotations

from flask import current_app

from idp.models.clients import EIDAS_LEVELS
from idp.oauth2 import introspection, revocation
from idp.oauth2.client_auth import PRIVATE_KEY_JWT
from idp.oauth2.interaction import SUPPORTED_PROMPTS
from idp.registry.store import registry
from scopes import PROTOCOL_SCOPES

#: Claims about the authentication itself (OIDC Core §2), always available.
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash")

#: RFC 7517 §8.5.1 media type of ``/jwks``; caches may keep it a minute (keys are published
#: before they sign, and stay published after, for far longer than that).
JWKS_MEDIA_TYPE = "application/jwk-set+json"
JWKS_HEADERS = (("Cache-Control", "public, max-age=60"),)

#: Endpoint name -> metadata key; modules that add endpoints register them here.
ENDPOINTS = {
    "authorization_endpoint": "/authorize",
    "token_endpoint": "/token",
    "userinfo_endpoint": "/userinfo",
    "jwks_uri": "/jwks",
    "end_session_endpoint": "/logout",
    "introspection_endpoint": "/introspect",
    "revocation_endpoint": "/revoke",
}


def provider_metadata() -> dict:
    issuer = current_app.config["ISSUER"]
    known = registry()
    claims = list(ID_TOKEN_CLAIMS)
    for scope in known.scopes:
        claims.extend(claim for claim in scope.claims if claim not in claims)
    metadata = {"issuer": issuer}
    metadata.update({key: issuer + path for key, path in ENDPOINTS.items()})
    metadata.update(current_app.extensions.get("idp_extra_metadata", {}))
    metadata.update(
        {
            "scopes_supported": [scope.key for scope in known.scopes] + sorted(PROTOCOL_SCOPES),
            "claims_supported": claims,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                PRIVATE_KEY_JWT,
                "none",
            ],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
            "introspection_endpoint_auth_methods_supported": list(introspection.AUTH_METHODS),
            "introspection_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
            # RFC 9701 §7: JWT introspection responses.
            "introspection_signing_alg_values_supported": [introspection.SIGNING_ALG],
            "revocation_endpoint_auth_methods_supported": list(revocation.AUTH_METHODS),
            "revocation_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "acr_values_supported": list(EIDAS_LEVELS),
            "prompt_values_supported": list(SUPPORTED_PROMPTS),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "require_request_uri_registration": False,
            "ui_locales_supported": ["fr", "en"],
        }
    )
    return metadata
