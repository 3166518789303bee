"""The lean endpoints: the success case of each hot machine endpoint, in front of Flask.

Each handler returns a :class:`~idp.hotpath.responses.LeanResponse`, or ``None`` to let the
Flask view answer (every error, ``private_key_jwt``, anything unusual). Both paths call the
same functions for the work itself; only the HTTP plumbing differs.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import OAuth2Error

from idp import signing
from idp.hotpath.request import LeanRequest
from idp.hotpath.responses import LeanResponse, json_response, respond
from idp.oauth2 import checktoken as fc_checktoken
from idp.oauth2 import introspection
from idp.oauth2.client_credentials_fast import SECRET_METHODS, issue_client_credentials_token
from idp.oauth2.discovery import JWKS_HEADERS, JWKS_MEDIA_TYPE
from idp.oauth2.secret_auth import authenticate_with_secret


def token(request: LeanRequest) -> LeanResponse | None:
    """``POST /token``, client_credentials with a client secret (RFC 6749 §4.4)."""
    body = issue_client_credentials_token(request)
    return None if body is None else json_response(body)


def introspect(request: LeanRequest) -> LeanResponse | None:
    """``POST /introspect`` by a data provider with a client secret (RFC 7662 §2, RFC 9701 §4)."""
    data_provider = authenticate_with_secret(request, SECRET_METHODS, "introspection")
    token_value = request.form.get("token")
    if data_provider is None or not introspection.may_introspect(data_provider) or not token_value:
        return None
    answer = introspection.introspect(data_provider, token_value)
    if introspection.wants_jwt_response(request.headers.get("Accept")):
        signed = introspection.introspection_jwt(data_provider, answer)
        return respond(signed.encode(), introspection.JWT_MEDIA_TYPE)
    return json_response(answer)


def checktoken(request: LeanRequest) -> LeanResponse | None:
    """``POST /checktoken``, FranceConnect's form-field introspection (see :mod:`idp.oauth2.checktoken`)."""
    try:
        fields = fc_checktoken.check_form(request.form)
        data_provider = fc_checktoken.authenticate(fields["client_id"], fields["client_secret"])
    except OAuth2Error:
        return None
    if not introspection.may_introspect(data_provider):
        return None
    body = fc_checktoken.checktoken_jwt(data_provider, fields["token"])
    return respond(body.encode(), introspection.JWT_MEDIA_TYPE)


def jwks(_request: LeanRequest) -> LeanResponse:
    """``GET /jwks`` (RFC 7517 §5), from the per-process key ring cache."""
    return json_response(signing.public_jwks(), JWKS_HEADERS, JWKS_MEDIA_TYPE)


ROUTES = {
    ("POST", "/token"): token,
    ("POST", "/introspect"): introspect,
    ("POST", "/checktoken"): checktoken,
    ("GET", "/jwks"): jwks,
}
