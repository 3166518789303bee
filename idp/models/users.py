"""The local identity store and citizens' sign-in sessions."""

import sqlalchemy as sa

from idp.extensions import db
from idp.models.base import UTCDateTime, utcnow


class User(db.Model):
    """A citizen, known by the hash of the pivot identity (FranceConnect's ``identityHash``).

    The same person signing in through any identity provider is this one row, with one
    set of consents and one ``sub`` per service. ``username`` and ``password_hash`` are the
    local identity store's credentials, absent for a citizen who only used other providers.
    """

    __tablename__ = "users"

    id = sa.Column(sa.Integer, primary_key=True)
    identity_hash = sa.Column(sa.String(44), unique=True, nullable=False, index=True)
    username = sa.Column(sa.String(255), unique=True, index=True)
    password_hash = sa.Column(sa.String(255))
    given_name = sa.Column(sa.String(255), nullable=False)
    family_name = sa.Column(sa.String(255), nullable=False)
    preferred_username = sa.Column(sa.String(255))
    birthdate = sa.Column(sa.String(10), nullable=False)
    gender = sa.Column(sa.String(16), nullable=False)
    birthplace = sa.Column(sa.String(5))
    birthcountry = sa.Column(sa.String(5), nullable=False)
    email = sa.Column(sa.String(255))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class LoginSession(db.Model):
    """A sign-in at this provider; the cookie holds a random id, the table its SHA-256."""

    __tablename__ = "login_sessions"

    id = sa.Column(sa.String(64), primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    auth_time = sa.Column(UTCDateTime, nullable=False)
    acr = sa.Column(sa.String(16), nullable=False)
    amr = sa.Column(sa.JSON, nullable=False, default=list)
    # The identity provider of this sign-in, and its ID token (the hint that ends the session
    # there too, OpenID Connect RP-Initiated Logout 1.0 §2).
    identity_provider = sa.Column(sa.String(32), nullable=False, default="local", server_default="local")
    upstream_id_token = sa.Column(sa.Text)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)  # idp purge-expired
    revoked_at = sa.Column(UTCDateTime)

    user = db.relationship("User", lazy="joined")


class LoginThrottle(db.Model):
    """Failed sign-in counters per account and per IP, shared by every instance."""

    __tablename__ = "login_throttles"

    key = sa.Column(sa.String(300), primary_key=True)
    failures = sa.Column(sa.Integer, nullable=False, default=0)
    window_start = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    locked_until = sa.Column(UTCDateTime)
