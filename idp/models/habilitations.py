"""DataPass habilitations, the webhook deliveries that change them, and the audit trail."""

import sqlalchemy as sa

from idp.extensions import db
from idp.models.base import UTCDateTime, utcnow


class Habilitation(db.Model):
    """An authorization request from DataPass (its ``data`` object), as last applied."""

    __tablename__ = "habilitations"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)  # DataPass id
    public_id = sa.Column(sa.String(64), index=True)
    definition = sa.Column(sa.String(128), nullable=False)
    state = sa.Column(sa.String(32), nullable=False)
    intitule = sa.Column(sa.String(500))
    organization_name = sa.Column(sa.String(500))
    organization_siret = sa.Column(sa.String(14))
    eidas_level = sa.Column(sa.String(16))
    scopes = sa.Column(sa.JSON, nullable=False, default=list)
    # Scopes of the last approval: what an active (or reopened) habilitation grants.
    approved_scopes = sa.Column(sa.JSON, nullable=False, default=list)
    authorization_ids = sa.Column(sa.JSON, nullable=False, default=list)
    modalities = sa.Column(sa.JSON, nullable=False, default=list)
    # The FranceConnect authorization an API habilitation rides on (idp.datapass.linking).
    france_connect_authorization_id = sa.Column(sa.String(64), index=True)
    active = sa.Column(sa.Boolean, nullable=False, default=False)
    last_fired_at = sa.Column(sa.BigInteger, nullable=False, default=0)
    client_id = sa.Column(sa.String(64), index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class WebhookDelivery(db.Model):
    """Every verified delivery, stored in the transaction that applies it."""

    __tablename__ = "webhook_deliveries"

    id = sa.Column(sa.Integer, primary_key=True)
    idempotency_key = sa.Column(sa.String(64), unique=True, nullable=False)
    event = sa.Column(sa.String(64))
    model_type = sa.Column(sa.String(128))
    model_id = sa.Column(sa.Integer, index=True)
    fired_at = sa.Column(sa.BigInteger)
    raw_body = sa.Column(sa.Text, nullable=False)
    received_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    outcome = sa.Column(sa.String(32), nullable=False)
    detail = sa.Column(sa.Text)


class AuditEvent(db.Model):
    """Operator-queryable trail: deliveries and changes of allowed scopes."""

    __tablename__ = "audit_events"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    kind = sa.Column(sa.String(64), nullable=False)
    habilitation_id = sa.Column(sa.Integer, index=True)
    client_id = sa.Column(sa.String(64), index=True)
    detail = sa.Column(sa.JSON, nullable=False, default=dict)
