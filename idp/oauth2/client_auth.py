"""Client authentication at the token, introspection and revocation endpoints.

``client_secret_basic`` and ``client_secret_post`` come from Authlib (RFC 6749 §2.3.1);
``private_key_jwt`` is RFC 7523 §2.2 with OIDC Core §9 rules: the assertion's ``aud`` must
name this server, and a ``jti`` is accepted once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import current_app
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError

from idp.extensions import db
from idp.models import ClientAssertionJti, utcnow

PRIVATE_KEY_JWT = "private_key_jwt"
CLIENT_ASSERTION_TYPE = JWTBearerClientAssertion.CLIENT_ASSERTION_TYPE


class PrivateKeyJWTAuthentication(JWTBearerClientAssertion):
    """RFC 7523 client assertions signed with a key from the client's registered JWKS."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def get_audiences(self) -> list[str]:
        issuer = current_app.config["ISSUER"]
        return [issuer, f"{issuer}/token", f"{issuer}/introspect", f"{issuer}/revoke", f"{issuer}/checktoken"]

    def validate_jti(self, claims, jti) -> bool:
        """RFC 7523 §3 item 7: reject a reused ``jti`` (stored until the assertion expires)."""
        if not isinstance(jti, str) or len(jti) > 255:
            return False
        exp = claims.get("exp")
        expires_at = (
            datetime.fromtimestamp(int(exp), UTC) if isinstance(exp, int) else utcnow() + timedelta(hours=1)
        )
        try:
            with db.session.begin_nested():
                db.session.add(
                    ClientAssertionJti(client_id=str(claims["sub"]), jti=jti, expires_at=expires_at)
                )
        except IntegrityError:
            return False
        db.session.commit()
        return True

    def resolve_client_public_key(self, client):
        if client.token_endpoint_auth_method != PRIVATE_KEY_JWT:
            raise InvalidClientError(description="client is not registered for private_key_jwt")
        if client.jwks:
            return KeySet.import_key_set(client.jwks)
        if client.jwks_uri:
            from idp.oauth2.remote_jwks import fetch_jwks

            return KeySet.import_key_set(fetch_jwks(client.jwks_uri))
        raise InvalidClientError(description="client has no registered keys")
