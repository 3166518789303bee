"""Where each endpoint lives: the one table of paths, under the issuer.

Keys are the provider metadata names of OIDC Discovery 1.0 §3 and RFC 8414 §2; discovery,
the views, the lean path, the error pages and the client assertion audiences all read it.
"""

from __future__ import annotations

from flask import current_app

#: Metadata name -> path. The ``checktoken`` endpoints are FranceConnect's, not in any
#: registry: ``/api/v2/checktoken`` is its own path, so that a data provider changes only the host.
ENDPOINT_PATHS = {
    "authorization_endpoint": "/authorize",
    "token_endpoint": "/token",
    "userinfo_endpoint": "/userinfo",
    "jwks_uri": "/jwks",
    "end_session_endpoint": "/logout",
    "introspection_endpoint": "/introspect",
    "revocation_endpoint": "/revoke",
    "checktoken_endpoint": "/checktoken",
    "franceconnect_checktoken_endpoint": "/api/v2/checktoken",
}
#: FranceConnect's, in no discovery registry.
CHECKTOKEN_ENDPOINTS = ("checktoken_endpoint", "franceconnect_checktoken_endpoint")

#: The endpoints of the discovery document (OIDC Discovery §3); not FranceConnect's checktoken.
ADVERTISED = tuple(name for name in ENDPOINT_PATHS if name not in CHECKTOKEN_ENDPOINTS)


def endpoint_url(name: str) -> str:
    """The public URL of endpoint ``name``: the issuer followed by its path."""
    return current_app.config["ISSUER"] + ENDPOINT_PATHS[name]
