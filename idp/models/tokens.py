"""Authorization codes and what revocation needs of issued tokens (never the tokens)."""

import sqlalchemy as sa

from idp.extensions import db
from idp.models.base import UTCDateTime, utcnow


class AuthorizationCode(db.Model):
    """RFC 6749 §4.1.2: single use, short-lived, bound to client and redirect URI."""

    __tablename__ = "authorization_codes"

    id = sa.Column(sa.Integer, primary_key=True)
    code_hash = sa.Column(sa.String(64), unique=True, nullable=False)
    client_id = sa.Column(sa.String(64), nullable=False)
    # Indexed for a citizen's erasure (ON DELETE CASCADE) and logout (the sign-in's codes).
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    session_id = sa.Column(sa.String(64), index=True)
    consent_id = sa.Column(sa.Integer)
    # Tokens issued from this code and their refreshes share the grant id (one family); no
    # statement selects codes by it (migration 0009).
    grant_id = sa.Column(sa.String(64), nullable=False)
    redirect_uri = sa.Column(sa.String(2048), nullable=False)
    scope = sa.Column(sa.Text, nullable=False)
    nonce = sa.Column(sa.String(512))
    code_challenge = sa.Column(sa.String(128), nullable=False)
    code_challenge_method = sa.Column(sa.String(8), nullable=False)
    auth_time = sa.Column(UTCDateTime, nullable=False)
    acr = sa.Column(sa.String(16), nullable=False)
    amr = sa.Column(sa.JSON, nullable=False, default=list)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)  # idp purge-expired
    used_at = sa.Column(UTCDateTime)


class AccessTokenRecord(db.Model):
    """RFC 9068 access token bookkeeping: its ``jti`` and what it was issued under."""

    __tablename__ = "access_tokens"

    jti = sa.Column(sa.String(64), primary_key=True)
    client_id = sa.Column(sa.String(64), nullable=False)  # not indexed: no statement selects by it
    # Indexed for a citizen's erasure (ON DELETE CASCADE), as every table pointing at users.
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    grant_id = sa.Column(sa.String(64), index=True)
    consent_id = sa.Column(sa.Integer, index=True)
    scope = sa.Column(sa.Text, nullable=False)
    acr = sa.Column(sa.String(16))
    auth_time = sa.Column(UTCDateTime)
    issued_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)
    revoked_at = sa.Column(UTCDateTime)


class RevokedAccessToken(db.Model):
    """A revoked self-contained access token (client_credentials, see :mod:`idp.oauth2.tokens`).

    Such tokens have no record: this list, written by ``/revoke`` (RFC 7009) and read at
    every introspection, is all the server keeps. A row can go once the token has expired.
    """

    __tablename__ = "revoked_access_tokens"

    jti = sa.Column(sa.String(64), primary_key=True)
    client_id = sa.Column(sa.String(64), nullable=False)
    revoked_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)


class RefreshToken(db.Model):
    """A refresh token (stored as SHA-256). Rotated on use; reuse revokes the family."""

    __tablename__ = "refresh_tokens"

    id = sa.Column(sa.Integer, primary_key=True)
    token_hash = sa.Column(sa.String(64), unique=True, nullable=False)
    client_id = sa.Column(sa.String(64), nullable=False)
    # Indexed for a citizen's erasure (ON DELETE CASCADE).
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    grant_id = sa.Column(sa.String(64), nullable=False, index=True)
    consent_id = sa.Column(sa.Integer, index=True)
    scope = sa.Column(sa.Text, nullable=False)
    auth_time = sa.Column(UTCDateTime, nullable=False)
    acr = sa.Column(sa.String(16), nullable=False)
    amr = sa.Column(sa.JSON, nullable=False, default=list)
    issued_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)  # idp purge-expired
    used_at = sa.Column(UTCDateTime)
    revoked_at = sa.Column(UTCDateTime)

    user = db.relationship("User", lazy="joined")

    # Authlib's refresh grant calls these.
    def check_client(self, client) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope
