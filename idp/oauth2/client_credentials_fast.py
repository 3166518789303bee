"""A lean path for the commonest token request: client_credentials with a client secret.

RFC 6749 §4.4.2: ``grant_type=client_credentials`` and an optional ``scope`` (required here,
as in :func:`~idp.oauth2.scope_policy.enforce_requested_scope`), the client authenticated
with its secret (RFC 6749 §2.3.1: HTTP Basic, or ``client_id``/``client_secret`` in the body).
Authlib's generic machinery (request wrapping, URL rebuilding, grant lookup, hook dispatch)
costs more CPU than the work itself, so the lean path (:mod:`idp.hotpath`) answers a request
that certainly *succeeds* with the same helpers Authlib's grant calls (client lookup,
SHA-256 secret check, scope policy, token generation).

Anything else returns ``None`` and goes through Authlib unchanged: other grants,
``private_key_jwt``, query parameters, unknown or repeated parameters, and every error
(RFC 6749 §5.2), so that error responses have a single source.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidScopeError
from flask import Request

from idp.oauth2 import tokens
from idp.oauth2.grants import ClientCredentialsGrant
from idp.oauth2.scope_policy import enforce_requested_scope
from idp.oauth2.secret_auth import authenticate_with_secret

GRANT_TYPE = ClientCredentialsGrant.GRANT_TYPE
#: RFC 6749 §4.4.2 parameters, plus the §2.3.1 body credentials.
KNOWN_PARAMETERS = frozenset({"grant_type", "scope", "client_id", "client_secret"})
SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def issue_client_credentials_token(request: Request) -> dict | None:
    """The RFC 6749 §5.1 response body for a valid request, or ``None`` to let Authlib answer.

    ``request`` is Flask's or the lean path's. Nothing is written: the token is
    self-contained (:func:`~idp.oauth2.tokens.record_issued_token` keeps no record of it).
    """
    form = request.form
    if request.args or form.get("grant_type") != GRANT_TYPE or not KNOWN_PARAMETERS.issuperset(form):
        return None
    client = authenticate_with_secret(request, SECRET_METHODS, "token")
    if client is None or not client.check_grant_type(GRANT_TYPE):
        return None
    scope = form.get("scope")
    try:
        enforce_requested_scope(client, scope)
    except InvalidScopeError:
        return None
    token = tokens.generate_token(GRANT_TYPE, client, scope=scope, include_refresh_token=False)
    tokens.record_issued_token(token, user_id=None)
    return token
