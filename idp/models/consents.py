"""Consents: what a citizen agreed to share with a service provider."""

import sqlalchemy as sa

from idp.extensions import db
from idp.models.base import UTCDateTime, utcnow


class Consent(db.Model):
    """A consent per user, client and scope set; withdrawing it sets ``revoked_at``."""

    __tablename__ = "consents"
    __table_args__ = (sa.Index("ix_consents_user_client", "user_id", "client_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    client_id = sa.Column(sa.String(64), nullable=False)
    # Space-separated, sorted scope keys.
    scope = sa.Column(sa.Text, nullable=False)
    granted_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_issued_at = sa.Column(UTCDateTime)
    revoked_at = sa.Column(UTCDateTime)

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())
