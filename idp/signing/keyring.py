"""Signing keys in the database, and the per-process key ring that signs with them.

The ring is rebuilt when the set of (kid, state) rows changes, checked at most every
``KEYS_CACHE_SECONDS``. The lag is safe: a NEXT key is published in ``/jwks`` before it
signs anything, and a retired key stays published until every token it signed expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

import keys
from idp.database.cache import timed_value
from idp.extensions import db
from idp.models import SigningKey, utcnow


def _to_record(row: SigningKey) -> keys.KeyRecord:
    return keys.KeyRecord(
        kid=row.kid,
        alg=row.alg,
        state=keys.KeyState(row.state),
        public_jwk=row.public_jwk,
        encrypted_private_key=row.encrypted_private_key,
        created_at=row.created_at,
        activated_at=row.activated_at,
        retired_at=row.retired_at,
    )


def load_records() -> list[keys.KeyRecord]:
    return [_to_record(row) for row in db.session.scalars(db.select(SigningKey))]


def max_token_lifetime() -> timedelta:
    """How long a signature may still be checked after the key stopped signing."""
    config = current_app.config
    seconds = max(config["ACCESS_TOKEN_LIFETIME"], config["ID_TOKEN_LIFETIME"])
    return timedelta(seconds=seconds + config["KEYS_CACHE_SECONDS"] + 60)


def _save(records: list[keys.KeyRecord]) -> None:
    existing = {row.kid: row for row in db.session.scalars(db.select(SigningKey))}
    for record in records:
        row = existing.pop(record.kid, None) or SigningKey(kid=record.kid)
        row.alg = record.alg
        row.state = record.state.value
        row.public_jwk = record.public_jwk
        row.encrypted_private_key = record.encrypted_private_key
        row.created_at = record.created_at
        row.activated_at = record.activated_at
        row.retired_at = record.retired_at
        db.session.add(row)
    for row in existing.values():
        db.session.delete(row)
    db.session.commit()


def ensure_keys() -> None:
    """Create the first key set (one ACTIVE and one NEXT key per algorithm) if missing."""
    if db.session.scalar(db.select(SigningKey.kid).limit(1)) is None:
        _save(keys.initial_key_set(current_app.config["KEYS_PASSPHRASE"], now=utcnow()))


def rotate(now: datetime | None = None) -> list[keys.KeyRecord]:
    records = keys.plan_rotation(load_records(), current_app.config["KEYS_PASSPHRASE"], now or utcnow())
    _save(_without_expired(records, now or utcnow()))
    return records


def retire(kid: str, now: datetime | None = None) -> list[keys.KeyRecord]:
    records = keys.plan_retire(load_records(), kid, now or utcnow())
    _save(records)
    return records


def _without_expired(records: list[keys.KeyRecord], now: datetime) -> list[keys.KeyRecord]:
    """Drop retired keys whose every token has expired: nothing needs them any more."""
    dead = set(keys.prunable(records, now, max_token_lifetime()))
    return [record for record in records if record.kid not in dead]


@dataclass(frozen=True)
class _LoadedRing:
    """The ring built from the stored keys, and the JWKS to publish (recomputed at each check:
    a retired key leaves ``/jwks`` once its tokens expired)."""

    ring: keys.KeyRing
    records: list[keys.KeyRecord]
    fingerprint: tuple
    jwks: dict


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
    return _LoadedRing(ring, records, fingerprint, jwks)


def _loaded() -> _LoadedRing:
    return timed_value("idp_keyring", "KEYS_CACHE_SECONDS", _load_ring).get()


def keyring() -> keys.KeyRing:
    return _loaded().ring


def public_jwks() -> dict:
    """The JWKS document: next, active and still-needed retired keys, public members only."""
    return _loaded().jwks
