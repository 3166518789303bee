"""``GET /jwks`` (RFC 7517 §5): the public keys, from the per-process key ring cache."""

from __future__ import annotations

from idp import signing
from idp.oauth2.http import EndpointResponse, OAuthRequest, respond

#: RFC 7517 §8.5.1 media type of ``/jwks``.
JWKS_MEDIA_TYPE = "application/jwk-set+json"
#: Caches may keep it a minute: keys are published before they sign, and stay published
#: after, for far longer than that (:mod:`keys.publication`).
JWKS_HEADERS = (("Cache-Control", f"public, max-age={signing.JWKS_MAX_AGE_SECONDS}"),)


def endpoint(_request: OAuthRequest) -> EndpointResponse:
    """Next, active and still-needed retired keys, public members only. No database work."""
    return respond(signing.public_jwks_body(), JWKS_MEDIA_TYPE, JWKS_HEADERS)
