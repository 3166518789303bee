"""OAuth 2.0 and OpenID Connect: the protocol, one module per specification.

Framework-free endpoint functions (:mod:`.endpoints`) take an :class:`~.http.OAuthRequest`
and return an :class:`~.http.EndpointResponse`; the Flask views and the lean WSGI path are
the two adapters that build the one and send the other.

- :mod:`.http`: the request and response objects, and the one error renderer.
- :mod:`.paths`: where each endpoint lives.
- :mod:`.checks`: tables of checks (which rule runs where).
- :mod:`.server`: the Authlib server, per app; :mod:`.client_auth`: who may call how;
  :mod:`.rate_limits`: how often each client may call.
- :mod:`.authorize_checks`: ``/authorize`` (RFC 6749 §4.1.1, OIDC Core §3.1.2).
- :mod:`.token_endpoint`, :mod:`.grants`, :mod:`.tokens`, :mod:`.openid`: ``/token``.
- :mod:`.bearer`, :mod:`.introspection`, :mod:`.checktoken`, :mod:`.revocation`,
  :mod:`.userinfo`, :mod:`.jwks`: the other machine endpoints.
- :mod:`.discovery`, :mod:`.logout`, :mod:`.scope_policy`, :mod:`.claims`, :mod:`.audience`.
"""

from flask import Flask

from idp.oauth2 import rate_limits
from idp.oauth2.server import authorization_server, build_authorization_server


def init_oauth2(app: Flask) -> None:
    """Build a fresh Authlib server for this app (never a module-level singleton), and the
    per-client rate limits of its machine endpoints."""
    app.extensions["authorization_server"] = build_authorization_server(app)
    rate_limits.init_app(app)


__all__ = ["authorization_server", "init_oauth2"]
