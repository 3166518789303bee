"""A verified DataPass delivery: stored and applied in one database transaction.

The delivery row is inserted first, with a unique idempotency key, then the effect is
applied, then both commit together: a delivery is never half-applied, and if anything
fails (the database is unavailable) everything rolls back and the receiver answers 503 so
that DataPass sends it again.

**Idempotency key.** SHA-256 of ``event``, ``model_type``, ``model_id`` and ``fired_at``,
not of the raw body. DataPass retries a delivery until it gets a 2xx; a retry is the same
event even when its bytes differ (the payload is serialized again, fields are added over
time, key order or whitespace may change), and hashing the body would apply such a retry
twice. The four fields identify one event of one request at one instant, and the raw body
is still stored for the record.

**Ordering.** A delivery whose ``fired_at`` is older than the last one applied to the same
habilitation is recorded as ``stale`` and changes nothing: it must not undo a newer state.
The habilitation row is locked (``FOR UPDATE``; SQLite serializes writers) while this is
decided, so concurrent deliveries for one habilitation apply one after the other.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from idp.datapass.apply import apply_snapshot, locked_habilitation, standing_of
from idp.datapass.events import APPROVE, KNOWN_DEFINITIONS, KNOWN_EVENTS, standing_after
from idp.datapass.schemas import DeliverySchema, EnvelopeSchema, definition_of
from idp.extensions import db
from idp.models import AuditEvent, Habilitation, WebhookDelivery

log = logging.getLogger(__name__)

APPLIED = "applied"
STALE = "stale"
DUPLICATE = "duplicate"
IGNORED_UNKNOWN_EVENT = "ignored_unknown_event"
IGNORED_UNKNOWN_DEFINITION = "ignored_unknown_definition"


@dataclass(frozen=True)
class DeliveryResult:
    """What a delivery did; ``client_id`` is the linked client (the ``token_id`` of approve)."""

    outcome: str
    event: str
    habilitation_id: int
    client_id: str | None = None

    def answer(self) -> dict:
        """The JSON answer; DataPass stores ``token_id`` as the habilitation's external id."""
        body: dict = {"outcome": self.outcome, "habilitation_id": self.habilitation_id}
        if self.event == APPROVE:
            body["token_id"] = self.client_id
        return body


def idempotency_key(event: str, model_type: str, model_id: int, fired_at: int) -> str:
    """SHA-256 of the event's identity (see the module docstring for why not the body)."""
    return hashlib.sha256(f"{event}\n{model_type}\n{model_id}\n{fired_at}".encode()).hexdigest()


def receive_delivery(raw_body: bytes, payload: dict) -> DeliveryResult:
    """Validate, store and apply one delivery. Raises ``ValidationError`` when malformed.

    Database errors propagate after a full rollback (the receiver answers 503).
    """
    envelope = EnvelopeSchema().load(payload)
    ignored = _ignored(envelope)
    delivery = DeliverySchema().load(payload) if ignored is None else envelope
    try:
        stored = _store(envelope, raw_body)
        if stored is None:
            return _duplicate(envelope)
        if ignored is not None:
            outcome, what = ignored
            result = DeliveryResult(outcome, envelope["event"], envelope["model_id"])
            log.warning("DataPass delivery %s: %s ignored", stored.id, what)
        else:
            result = _apply(delivery)
        stored.outcome = result.outcome
        db.session.add(
            AuditEvent(
                kind="webhook_delivery",
                habilitation_id=result.habilitation_id,
                client_id=result.client_id,
                detail={
                    "delivery_id": stored.id,
                    "event": envelope["event"],
                    "fired_at": envelope["fired_at"],
                    "outcome": result.outcome,
                },
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _ignored(envelope: dict) -> tuple[str, str] | None:
    """Why a delivery is recorded but not applied (its outcome, and what to log), or None: an
    event DataPass added since (``KNOWN_EVENTS``), or a definition this hub does not serve
    (:data:`~idp.datapass.events.KNOWN_DEFINITIONS`)."""
    if envelope["event"] not in KNOWN_EVENTS:
        return IGNORED_UNKNOWN_EVENT, f"unknown event {envelope['event']!r}"
    definition = definition_of(envelope["model_type"])
    if definition not in KNOWN_DEFINITIONS:
        return IGNORED_UNKNOWN_DEFINITION, f"unknown habilitation type {definition!r}"
    return None


def _store(envelope: dict, raw_body: bytes) -> WebhookDelivery | None:
    """Insert the delivery row first; None when its key is already stored (a repeat)."""
    row = WebhookDelivery(
        idempotency_key=idempotency_key(
            envelope["event"], envelope["model_type"], envelope["model_id"], envelope["fired_at"]
        ),
        event=envelope["event"],
        model_type=envelope["model_type"],
        model_id=envelope["model_id"],
        fired_at=envelope["fired_at"],
        raw_body=raw_body.decode("utf-8", errors="replace"),
        outcome="pending",
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return row


def _duplicate(envelope: dict) -> DeliveryResult:
    """A repeated delivery changes nothing; it gets the same answer (approve: the token_id)."""
    habilitation = db.session.get(Habilitation, envelope["model_id"])
    return DeliveryResult(
        DUPLICATE, envelope["event"], envelope["model_id"], habilitation.client_id if habilitation else None
    )


def _apply(delivery: dict) -> DeliveryResult:
    event, snapshot = delivery["event"], delivery["data"]
    habilitation = locked_habilitation(snapshot.id, definition_of(delivery["model_type"]))
    if delivery["fired_at"] < habilitation.last_fired_at:
        log.info("DataPass delivery for habilitation %s is older than the last applied", snapshot.id)
        return DeliveryResult(STALE, event, snapshot.id, habilitation.client_id)
    standing = standing_after(event, snapshot, standing_of(habilitation))
    apply_snapshot(habilitation, snapshot, definition_of(delivery["model_type"]), standing, event=event)
    habilitation.last_fired_at = delivery["fired_at"]
    return DeliveryResult(APPLIED, event, snapshot.id, habilitation.client_id)
