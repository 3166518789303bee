"""Signing keys: encrypted private material and rotation state (see ``keys/``)."""

import sqlalchemy as sa

from idp.extensions import db
from idp.models.base import UTCDateTime, utcnow


class SigningKey(db.Model):
    __tablename__ = "signing_keys"

    kid = sa.Column(sa.String(64), primary_key=True)
    alg = sa.Column(sa.String(16), nullable=False)
    state = sa.Column(sa.String(16), nullable=False, index=True)
    public_jwk = sa.Column(sa.JSON, nullable=False)
    encrypted_private_key = sa.Column(sa.LargeBinary, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    activated_at = sa.Column(UTCDateTime)
    retired_at = sa.Column(UTCDateTime)
