"""The scope registry's tables (the domain rules live in ``scopes/``)."""

import sqlalchemy as sa

from idp.extensions import db
from idp.models.base import UTCDateTime, utcnow


class RegistryProvider(db.Model):
    __tablename__ = "registry_providers"

    slug = sa.Column(sa.String(64), primary_key=True)
    label = sa.Column(sa.String(500), nullable=False)
    label_en = sa.Column(sa.String(500))
    kind = sa.Column(sa.String(16), nullable=False)
    namespace = sa.Column(sa.String(64), unique=True)
    position = sa.Column(sa.Integer, nullable=False, default=0)


class RegistryScope(db.Model):
    __tablename__ = "registry_scopes"

    key = sa.Column(sa.String(100), primary_key=True)
    provider_slug = sa.Column(
        sa.String(64), sa.ForeignKey("registry_providers.slug"), nullable=False, index=True
    )
    label_fr = sa.Column(sa.String(500), nullable=False)
    label_en = sa.Column(sa.String(500))
    description = sa.Column(sa.Text)
    group = sa.Column(sa.String(500))
    claims = sa.Column(sa.JSON, nullable=False, default=list)
    deprecated_since = sa.Column(sa.Date)
    legacy = sa.Column(sa.Boolean, nullable=False, default=False)
    # Usable by client_credentials: the scope describes no citizen's data.
    machine = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    position = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
