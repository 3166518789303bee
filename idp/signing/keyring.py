"""The per-process key ring that signs and verifies, and the JWKS it publishes.

The ring is rebuilt when the set of (kid, state) rows changes, checked at most every
``KEYS_CACHE_SECONDS``, and at once when a change to the keys is notified
(:mod:`idp.database.notifications`: PostgreSQL, while the listener is up). The lag is safe:
a NEXT key is published in ``/jwks`` before it signs anything
(:func:`idp.signing.store.publication_delay`, which still counts ``KEYS_CACHE_SECONDS``: the
listener may be down), and a retired key stays published until every token it signed expired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import current_app

import keys
from idp.database import notifications
from idp.database.cache import timed_value
from idp.extensions import db
from idp.models import SigningKey, utcnow
from idp.signing.store import load_records, max_token_lifetime


@dataclass(frozen=True)
class _LoadedRing:
    """The ring built from the stored keys, and the JWKS to publish (recomputed at each check:
    a retired key leaves ``/jwks`` once its tokens expired)."""

    ring: keys.KeyRing
    records: list[keys.KeyRecord]
    fingerprint: tuple
    jwks: dict
    #: ``jwks`` as ``/jwks`` sends it, compact JSON (RFC 8259): encoded once per load, not
    #: per request (20 µs of the 100 µs a cached ``/jwks`` cost in process).
    jwks_body: bytes


def _load_ring(previous: _LoadedRing | None) -> _LoadedRing:
    """Rebuild the ring only when the set of (kid, state) rows changed."""
    rows = db.session.execute(db.select(SigningKey.kid, SigningKey.state)).all()
    fingerprint = tuple(sorted((kid, state) for kid, state in rows))
    if previous is not None and previous.fingerprint == fingerprint:
        ring, records = previous.ring, previous.records
    else:
        records = load_records()
        ring = keys.KeyRing(records, current_app.config["KEYS_PASSPHRASE"])
    jwks = keys.build_jwks(keys.publishable(records, utcnow(), max_token_lifetime()))
    return _LoadedRing(ring, records, fingerprint, jwks, json.dumps(jwks, separators=(",", ":")).encode())


#: What the ring is read from.
TABLES = notifications.tables("signing_keys")


def _loaded() -> _LoadedRing:
    return timed_value("idp_keyring", "KEYS_CACHE_SECONDS", _load_ring, tables=TABLES).get()


def keyring() -> keys.KeyRing:
    return _loaded().ring


def public_jwks() -> dict:
    """The JWKS document: next, active and still-needed retired keys, public members only."""
    return _loaded().jwks


def public_jwks_body() -> bytes:
    """:func:`public_jwks`, encoded."""
    return _loaded().jwks_body
