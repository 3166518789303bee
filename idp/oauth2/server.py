"""The Authlib authorization server, built once per Flask app, on the protocol's own objects.

It is Authlib's framework-neutral :class:`authlib.oauth2.AuthorizationServer`, not its Flask
integration: requests come in as :class:`~idp.oauth2.http.OAuthRequest`, made by whichever
adapter received them, and answers go out as :class:`~idp.oauth2.http.EndpointResponse`
(``create_oauth2_request`` and ``handle_response``, the two methods a framework integration
provides).
"""

from __future__ import annotations

from authlib.oauth2 import AuthorizationServer as _AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidClientError, OAuth2Error
from authlib.oauth2.rfc9207 import IssuerParameter as _IssuerParameter
from flask import Flask, current_app

from idp.clients.lookup import find_client_for_authentication
from idp.models import Client
from idp.oauth2 import grants, openid, rate_limits, tokens
from idp.oauth2.client_auth import (
    ASSERTION_LEEWAY_SECONDS,
    METHODS_BY_ENDPOINT,
    PrivateKeyJWTAuthentication,
    authentication_failed,
)
from idp.oauth2.http import EndpointResponse, OAuthRequest, authlib_response, error_response
from idp.telemetry import context, metrics


class IssuerParameter(_IssuerParameter):
    """RFC 9207 §2: ``iss`` in every authorization response, success or error."""

    def get_issuer(self) -> str:
        return current_app.config["ISSUER"]


class AuthorizationServer(_AuthorizationServer):
    def query_client(self, client_id):
        return find_client_for_authentication(client_id)

    def save_token(self, token, request):
        tokens.save_token(token, request)
        metrics.token_issued(request.payload.grant_type)  # a grant registered here: bounded

    def create_oauth2_request(self, request: OAuthRequest) -> OAuthRequest:
        """The adapters build the request themselves (:mod:`idp.views.oauth`, :mod:`idp.hotpath`)."""
        if not isinstance(request, OAuthRequest):
            raise TypeError("pass the OAuthRequest that an adapter built")
        return request

    def handle_response(self, status, body, headers) -> EndpointResponse:
        return authlib_response(status, body, headers)

    def handle_error_response(self, request, error: OAuth2Error) -> EndpointResponse:
        return error_response(error)

    def send_signal(self, name, *args, **kwargs) -> None:
        """Authlib's Flask integration turns these into blinker signals; nothing listens here."""

    def authenticate_client(self, request: OAuthRequest, methods, endpoint: str = "token") -> Client:
        """RFC 6749 §2.3 and §5.2: the client, or 401 ``invalid_client`` whatever went wrong;
        then its request is counted against its budget at this endpoint (429 past it:
        :mod:`idp.oauth2.rate_limits`).

        Basic credentials that are not UTF-8 once decoded name no client, nor does an
        ``Authorization`` header of a scheme and blanks: Authlib lets the decoding and the
        unpacking errors escape, which would be server errors.
        """
        header = request.headers.get("Authorization")
        if header and " " in header and len(header.split(None, 1)) < 2:
            raise authentication_failed()
        try:
            client = super().authenticate_client(request, methods, endpoint)
        except (InvalidClientError, UnicodeDecodeError):
            raise authentication_failed() from None
        context.note_client(client.client_id)
        rate_limits.charge(endpoint, client.client_id)
        return client

    def add_issuer(self, response: EndpointResponse) -> EndpointResponse:
        """RFC 9207 §2 on an authorization error response built outside Authlib's grant."""
        self.issuer_parameter.add_issuer_parameter(self, response)
        return response


def build_authorization_server(app: Flask) -> AuthorizationServer:
    server = AuthorizationServer()
    server.register_grant(
        grants.AuthorizationCodeGrant,
        [grants.CodeChallenge(required=True), openid.OpenIDCode(require_nonce=False)],
    )
    server.register_grant(grants.RefreshTokenGrant)
    server.register_grant(grants.ClientCredentialsGrant)
    server.register_client_auth_method(
        PrivateKeyJWTAuthentication.CLIENT_AUTH_METHOD,
        PrivateKeyJWTAuthentication(leeway=ASSERTION_LEEWAY_SECONDS),
    )
    server.issuer_parameter = IssuerParameter()
    server.register_extension(server.issuer_parameter)
    return server


def authorization_server() -> AuthorizationServer:
    """This application's server (built by :func:`idp.oauth2.init_oauth2`)."""
    return current_app.extensions["authorization_server"]


def authenticate_client(request: OAuthRequest, endpoint: str) -> Client:
    """The client that ``request`` authenticates, by one of ``endpoint``'s methods
    (:data:`~idp.oauth2.client_auth.METHODS_BY_ENDPOINT`); 401 ``invalid_client`` otherwise."""
    return authorization_server().authenticate_client(request, METHODS_BY_ENDPOINT[endpoint], endpoint)
