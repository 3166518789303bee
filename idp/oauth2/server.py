"""The Authlib authorization server, built once per Flask app."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer as _AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc9207 import IssuerParameter as _IssuerParameter
from flask import Flask, current_app
from flask import request as flask_request

from idp.clients.lookup import find_client_for_authentication
from idp.extensions import db
from idp.oauth2 import grants, openid, tokens
from idp.oauth2.client_auth import PrivateKeyJWTAuthentication

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


class IssuerParameter(_IssuerParameter):
    """RFC 9207 §2: ``iss`` in every authorization response, success or error."""

    def get_issuer(self) -> str:
        return current_app.config["ISSUER"]


class AuthorizationServer(_AuthorizationServer):
    def query_client(self, client_id):
        return find_client_for_authentication(client_id)

    def authenticate_client(self, request, methods, endpoint="token"):
        """RFC 6749 §2.3.1: Basic credentials that are not UTF-8 once decoded name no client.

        They fail like any other client authentication (401 ``invalid_client``); Authlib lets
        the decoding error escape, which would be a server error.
        """
        try:
            return super().authenticate_client(request, methods, endpoint)
        except UnicodeDecodeError:
            raise InvalidClientError(
                status_code=401, description="client credentials are not UTF-8"
            ) from None

    def save_token(self, token, request):
        tokens.save_token(token, request)

    def create_token_response(self, request=None):
        """RFC 6749 §3.2: parameters must not repeat; the grant's writes commit together.

        A plain client_credentials request that will succeed never gets here: the lean path
        (:mod:`idp.hotpath`) answers it in front of Flask.
        """
        duplicated = [key for key, values in flask_request.form.lists() if len(values) > 1]
        if duplicated:
            error = InvalidRequestError(f"parameter repeated: {', '.join(sorted(duplicated))}")
            return self.handle_error_response(None, error)
        try:
            response = super().create_token_response(request)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return response

    def handle_error_response(self, request, error: OAuth2Error):
        status, body, headers = error(self.get_error_uri(request, error))
        return self.handle_response(status, body, list(headers) + NO_STORE)


def build_authorization_server(app: Flask) -> AuthorizationServer:
    server = AuthorizationServer()
    server.init_app(app)
    server.register_token_generator("default", tokens.generate_token)
    server.register_grant(
        grants.AuthorizationCodeGrant,
        [grants.CodeChallenge(required=True), openid.OpenIDCode(require_nonce=False)],
    )
    server.register_grant(grants.RefreshTokenGrant)
    server.register_grant(grants.ClientCredentialsGrant)
    server.register_client_auth_method(
        PrivateKeyJWTAuthentication.CLIENT_AUTH_METHOD, PrivateKeyJWTAuthentication(leeway=30)
    )
    server.register_extension(IssuerParameter())
    return server
