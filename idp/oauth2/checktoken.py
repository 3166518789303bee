"""``POST /checktoken``: the FranceConnect v2-style introspection for data providers.

Existing data providers switch to us without changing code: they post the form fields
``token``, ``client_id`` and ``client_secret`` and get a signed JWT whose payload is
``{iss, aud: <their client_id>, iat, token_introspection}`` (the RFC 9701 §5 layout), sent as
``application/token-introspection+jwt``. The ``token_introspection`` object is exactly what
``/introspect`` answers (:func:`idp.oauth2.introspection.introspect`).
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidRequestError

from idp.oauth2.checks import FORM_REQUEST_CHECKS, run_checks
from idp.oauth2.http import EndpointResponse, OAuthRequest, respond
from idp.oauth2.introspection import JWT_MEDIA_TYPE, introspect, introspection_jwt, require_data_provider
from idp.oauth2.server import authenticate_client

REQUIRED_FIELDS = ("token", "client_id", "client_secret")


def check_fields(request: OAuthRequest) -> None:
    """Every field present and non-empty, else 400 ``invalid_request`` naming them."""
    missing = [name for name in REQUIRED_FIELDS if not request.form.get(name)]
    if missing:
        raise InvalidRequestError(f"missing parameter: {', '.join(missing)}")


def endpoint(request: OAuthRequest) -> EndpointResponse:
    """The signed answer; the credentials are form fields, whatever secret method the data
    provider registered (:meth:`idp.models.Client.check_endpoint_auth_method`)."""
    run_checks(FORM_REQUEST_CHECKS, request)
    check_fields(request)
    data_provider = require_data_provider(authenticate_client(request, "checktoken"))
    signed = introspection_jwt(data_provider, introspect(data_provider, request.form["token"]))
    return respond(signed.encode(), JWT_MEDIA_TYPE)
