"""Provider metadata: OIDC Discovery 1.0 §3 and RFC 8414 §2, advertising exactly what is
implemented. Scopes and claims come from the registry.

Checked against FranceConnect's discovery (``quality/fcp/cypress/support/api/dto/
get-discovery.dto.ts``, ``GetDiscoveryDto`` and ``GetDiscoveryWithEncryptionDto``): every
field of it is here but what idp does not implement, request objects
(``request_object_signing_alg_values_supported``, ``request_object_encryption_*``) and DPoP
(``dpop_signing_alg_values_supported``); ``tests/idp/oauth2/test_discovery.py`` lists them.
"""

from __future__ import annotations

from flask import current_app

from idp.models.clients import (
    EIDAS_LEVELS,
    ENCRYPTION_ALGS,
    ENCRYPTION_ENCS,
    ID_TOKEN_SIGNING_ALGS,
    RESPONSE_SIGNING_ALGS,
)
from idp.oauth2 import introspection
from idp.oauth2.authorize import SUPPORTED_PROMPTS
from idp.oauth2.client_auth import METHODS_BY_ENDPOINT
from idp.paths import ADVERTISED, endpoint_url
from idp.registry.store import registry
from scopes import OFFLINE_ACCESS, Registry

#: Claims about the authentication itself (OIDC Core §2), always available.
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash")

#: Algorithms accepted on client assertions (RFC 7523 §3, by Authlib's ``private_key_jwt``).
ASSERTION_SIGNING_ALGS = ["RS256", "ES256", "PS256"]


def requestable_scopes(known: Registry) -> list[str]:
    """OIDC Discovery §3 ``scopes_supported``: what a service provider may ask for, the
    registry's scopes and ``offline_access`` (OIDC Core §11: the refresh_token grant is
    always on). ``registry_write`` is not one: a data provider's own scope on the registry
    API, for ``client_credentials``."""
    return [*(scope.key for scope in known.scopes), OFFLINE_ACCESS]


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
            "scopes_supported": requestable_scopes(known),
            "claims_supported": claims,
            # OIDC Core §5.6: claims are asserted by us, never aggregated or distributed.
            "claim_types_supported": ["normal"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": list(ID_TOKEN_SIGNING_ALGS),
            # OIDC Registration §2 metadata a client may choose (idp.oauth2.jose_answers).
            "id_token_encryption_alg_values_supported": list(ENCRYPTION_ALGS),
            "id_token_encryption_enc_values_supported": list(ENCRYPTION_ENCS),
            "userinfo_signing_alg_values_supported": list(RESPONSE_SIGNING_ALGS),
            "userinfo_encryption_alg_values_supported": list(ENCRYPTION_ALGS),
            "userinfo_encryption_enc_values_supported": list(ENCRYPTION_ENCS),
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
            # OIDC Core §5.5 (idp.oauth2.claims_request): amr, and an essential acr.
            "claims_parameter_supported": True,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "require_request_uri_registration": False,
            "ui_locales_supported": ["fr", "en"],
        }
    )
    return metadata
