"""Identity providers (FI) the citizens sign in with, and the history of their connections."""

import sqlalchemy as sa

from idp.extensions import db
from idp.models.base import UTCDateTime, utcnow


class IdentityProvider(db.Model):
    """An upstream OpenID provider (FranceConnect's FI), or the built-in ``local`` store.

    The client secret at the provider is stored encrypted (``encrypted_client_secret``, with
    ``IDP_KEYS_PASSPHRASE``, as the signing keys are): it is a credential.
    """

    __tablename__ = "identity_providers"

    name = sa.Column(sa.String(32), primary_key=True)
    title = sa.Column(sa.String(255), nullable=False)
    kind = sa.Column(sa.String(16), nullable=False, default="oidc")  # "oidc" or "local"
    discovery_url = sa.Column(sa.String(2048))
    client_id = sa.Column(sa.String(255))
    encrypted_client_secret = sa.Column(sa.LargeBinary)
    auth_method = sa.Column(sa.String(32), nullable=False, default="client_secret_basic")
    eidas_levels = sa.Column(sa.JSON, nullable=False, default=list)
    scope = sa.Column(sa.String(1024), nullable=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    hidden = sa.Column(sa.Boolean, nullable=False, default=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ConnectionEvent(db.Model):
    """A sign-in to a service (FranceConnect's traces): shown on /account, kept a while."""

    __tablename__ = "connection_events"
    __table_args__ = (sa.Index("ix_connection_events_user_at", "user_id", "at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    client_id = sa.Column(sa.String(64), nullable=False)
    service = sa.Column(sa.String(255), nullable=False)
    identity_provider = sa.Column(sa.String(32), nullable=False)
    identity_provider_title = sa.Column(sa.String(255), nullable=False)
    acr = sa.Column(sa.String(16), nullable=False)
    scope = sa.Column(sa.Text, nullable=False)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)
