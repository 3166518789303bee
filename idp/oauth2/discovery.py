"""Provider metadata: OIDC Discovery 1.0 §3 and RFC 8414 §2, advertising exactly what is
implemented. Scopes and claims come from the registry."""

from __future__ import annotations

from flask import current_app

from idp.models.clients import EIDAS_LEVELS, ID_TOKEN_SIGNING_ALGS
from idp.oauth2 import introspection
from idp.oauth2.authorize import SUPPORTED_PROMPTS
from idp.oauth2.client_auth import METHODS_BY_ENDPOINT
from idp.paths import ADVERTISED, endpoint_url
from idp.registry.store import registry
from scopes import PROTOCOL_SCOPES

#: Claims about the authentication itself (OIDC Core §2), always available.
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash")

#: Algorithms accepted on client assertions (RFC 7523 §3, by Authlib's ``private_key_jwt``).
ASSERTION_SIGNING_ALGS = ["RS256", "ES256", "PS256"]


def provider_metadata() -> dict:
    issuer = current_app.config["ISSUER"]
    known = registry()
    claims = list(ID_TOKEN_CLAIMS)
    for scope in known.scopes:
        claims.extend(claim for claim in scope.claims if claim not in claims)
    metadata = {"issuer": issuer}
    metadata.update({name: endpoint_url(name) for name in ADVERTISED})
    metadata.update(
        {
            "scopes_supported": [scope.key for scope in known.scopes] + sorted(PROTOCOL_SCOPES),
            "claims_supported": claims,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": list(ID_TOKEN_SIGNING_ALGS),
            "token_endpoint_auth_methods_supported": list(METHODS_BY_ENDPOINT["token"]),
            "token_endpoint_auth_signing_alg_values_supported": ASSERTION_SIGNING_ALGS,
            "introspection_endpoint_auth_methods_supported": list(METHODS_BY_ENDPOINT["introspection"]),
            "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_SIGNING_ALGS,
            # RFC 9701 §7: JWT introspection responses.
            "introspection_signing_alg_values_supported": [introspection.SIGNING_ALG],
            "revocation_endpoint_auth_methods_supported": list(METHODS_BY_ENDPOINT["revocation"]),
            "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_SIGNING_ALGS,
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
