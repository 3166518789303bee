"""Client authentication: which methods each endpoint takes, and ``private_key_jwt``.

Authlib's :class:`~authlib.oauth2.rfc6749.authenticate_client.ClientAuthentication` runs
the methods: ``client_secret_basic`` and ``client_secret_post`` (RFC 6749 §2.3.1), ``none``
for public clients, and ``private_key_jwt`` (RFC 7523 §2.2 with the OIDC Core §9 rules,
below). Every endpoint reaches it the same way,
:func:`idp.oauth2.server.authenticate_client`; the grants of ``/token`` through the server.

Each endpoint lists the methods it takes (:data:`METHODS_BY_ENDPOINT`). The client's
registered method must be among them (:meth:`idp.models.Client.check_endpoint_auth_method`),
with one exception that FranceConnect's contract makes: ``/checktoken`` takes its
credentials as form fields from any secret-based data provider.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import current_app
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError

from idp.extensions import db
from idp.models import ClientAssertionJti
from idp.models.clients import AUTH_METHODS, PRIVATE_KEY_JWT, SECRET_AUTH_METHODS
from idp.outbound.documents import DocumentUnavailable
from idp.outbound.jwks import remote_key_sets
from idp.paths import endpoint_url

#: Methods of confidential clients (RFC 6749 §2.1).
CONFIDENTIAL_METHODS = (*SECRET_AUTH_METHODS, PRIVATE_KEY_JWT)
#: Which methods each endpoint accepts; advertised as ``<endpoint>_auth_methods_supported``
#: (RFC 8414 §2). ``none`` means a public client sending only its ``client_id``.
METHODS_BY_ENDPOINT = {
    "token": AUTH_METHODS,
    "introspection": CONFIDENTIAL_METHODS,
    "revocation": AUTH_METHODS,
    "checktoken": ("client_secret_post",),
}
#: RFC 7523 §3 ``aud``: this server's endpoints that take client assertions, or the issuer.
ASSERTION_AUDIENCES = (
    "token_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "checktoken_endpoint",
)
#: RFC 7523 §3: seconds of clock skew allowed on client assertions (``exp``, ``nbf``).
ASSERTION_LEEWAY_SECONDS = 30
#: The failure answer never says why (unknown client, wrong secret, bad assertion), so that
#: an endpoint does not reveal which client ids exist.
FAILED = "client authentication failed"


def authentication_failed() -> InvalidClientError:
    return InvalidClientError(status_code=401, description=FAILED)


class PrivateKeyJWTAuthentication(JWTBearerClientAssertion):
    """RFC 7523 client assertions signed with a key from the client's registered JWKS."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def get_audiences(self) -> list[str]:
        return [current_app.config["ISSUER"], *(endpoint_url(name) for name in ASSERTION_AUDIENCES)]

    def verify_claims(self, claims) -> None:
        """RFC 7523 §3 items 4 and 5, before Authlib's checks: ``exp`` is an integer
        NumericDate (RFC 7519 §2), and at most ``CLIENT_ASSERTION_MAX_SECONDS`` ahead.

        An assertion valid for hours or years is a replayable credential: its ``jti`` would
        have to be kept that long (item 7). So is one whose ``exp`` is not a whole number.
        """
        for name in ("exp", "iat", "nbf"):
            value = claims.get(name)
            if (name == "exp" or value is not None) and (type(value) is not int or not 0 < value < 2**53):
                raise InvalidClientError(description=f"the assertion's {name} must be a NumericDate integer")
        longest = current_app.config["CLIENT_ASSERTION_MAX_SECONDS"]
        if claims["exp"] > time.time() + longest:
            raise InvalidClientError(description=f"the assertion must expire within {longest} seconds")
        super().verify_claims(claims)

    def validate_jti(self, claims, jti) -> bool:
        """RFC 7523 §3 item 7: reject a reused ``jti``, kept until the assertion expires
        (its ``exp`` is a bounded integer: :meth:`verify_claims`)."""
        if not isinstance(jti, str) or not 0 < len(jti) <= 255:
            return False
        expires_at = datetime.fromtimestamp(claims["exp"], UTC) + timedelta(seconds=ASSERTION_LEEWAY_SECONDS)
        try:
            with db.session.begin_nested():
                db.session.add(
                    ClientAssertionJti(client_id=str(claims["sub"]), jti=jti, expires_at=expires_at)
                )
        except IntegrityError:
            return False
        db.session.commit()
        return True

    def __call__(self, query_client, request):
        """Authlib's check; once more after a refetch when the key set lacks the assertion's
        ``kid``. A ``jwks_uri`` that cannot be fetched fails the authentication (401)."""
        try:
            try:
                return super().__call__(query_client, request)
            except InvalidClientError:
                client = request.client
                if not (
                    client
                    and client.jwks_uri
                    and remote_key_sets().refetch_for(client.jwks_uri, _kid(request))
                ):
                    raise
            return super().__call__(query_client, request)
        except DocumentUnavailable as unavailable:
            raise InvalidClientError(description="could not fetch the client's jwks_uri") from unavailable

    def resolve_client_public_key(self, client):
        if client.token_endpoint_auth_method != PRIVATE_KEY_JWT:
            raise InvalidClientError(description="client is not registered for private_key_jwt")
        if client.jwks:
            return KeySet.import_key_set(client.jwks)
        if client.jwks_uri:
            return KeySet.import_key_set(remote_key_sets().get(client.jwks_uri))
        raise InvalidClientError(description="client has no registered keys")


def _kid(request) -> object:
    """The ``kid`` of the request's client assertion header (RFC 7515 §4.1.4), or None."""
    try:
        return jws.extract_compact(request.form["client_assertion"].encode()).headers().get("kid")
    except (JoseError, KeyError, UnicodeError):
        return None
