"""/introspect (RFC 7662, RFC 9701), /checktoken (FranceConnect v2) and /revoke (RFC 7009).

Machine endpoints: no template, no session, no CSRF. Errors are OAuth JSON; every
response is ``Cache-Control: no-store`` (RFC 7662 §2.2 carries personal data).
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
    UnauthorizedClientError,
)
from flask import Blueprint, Response, jsonify, request

from idp.extensions import csrf
from idp.models import Client
from idp.oauth2 import authorization_server, checktoken, introspection, revocation
from idp.oauth2.secret_auth import authenticate_with_secret

bp = Blueprint("data_providers", __name__)
csrf.exempt(bp)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _authenticate(methods: list[str], endpoint: str) -> Client:
    """Client authentication (a secret first, else Authlib); any failure is 401 (RFC 7662 §2.1).

    The reason is not told apart (unknown client, bad secret, bad assertion), so that the
    endpoint does not reveal which client ids exist.
    """
    client = authenticate_with_secret(request, methods, endpoint)
    if client is not None:
        return client
    server = authorization_server()
    try:
        return server.authenticate_client(server.create_oauth2_request(None), methods, endpoint)
    except InvalidClientError:
        raise InvalidClientError(status_code=401, description="client authentication failed") from None


def _data_provider(client: Client) -> Client:
    if not introspection.may_introspect(client):
        raise UnauthorizedClientError(
            status_code=403, description="only a data provider owning a namespace may introspect tokens"
        )
    return client


def _jwt_response(body: str) -> Response:
    return _no_store(Response(body, status=200, content_type=introspection.JWT_MEDIA_TYPE))


@bp.errorhandler(OAuth2Error)
def oauth2_error(error: OAuth2Error):
    return authorization_server().handle_error_response(None, error)


@bp.post("/introspect")
def introspect():
    data_provider = _data_provider(_authenticate(introspection.AUTH_METHODS, "introspection"))
    token = request.form.get("token")
    if not token:
        raise InvalidRequestError("token is required")
    response = introspection.introspect(data_provider, token)
    if introspection.wants_jwt_response(request.headers.get("Accept")):
        return _jwt_response(introspection.introspection_jwt(data_provider, response))
    return _no_store(jsonify(response))


@bp.post("/checktoken")
def checktoken_view():
    fields = checktoken.check_form(request.form)
    data_provider = _data_provider(checktoken.authenticate(fields["client_id"], fields["client_secret"]))
    return _jwt_response(checktoken.checktoken_jwt(data_provider, fields["token"]))


@bp.post("/revoke")
def revoke():
    client = _authenticate(revocation.AUTH_METHODS, "revocation")
    revocation.revoke(client, request.form.get("token"), request.form.get("token_type_hint"))
    return _no_store(Response(status=200))
