"""Signing keys in the database, and the per-process key ring that signs with them.

The ring is rebuilt when the set of (kid, state) rows changes, checked at most every
``KEYS_CACHE_SECONDS``. The lag is safe: a NEXT key is published in ``/jwks`` before it
signs anything, and a retired key stays published until every token it signed expired.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

import keys
from idp.extensions import db, per_app
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


class _RingCache:
    """One key ring per process, shared by its threads."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config  # the application's, read at each use (settings may change)
        self._lock = threading.Lock()
        self._ring: keys.KeyRing | None = None
        self._records: list[keys.KeyRecord] = []
        self._fingerprint: tuple = ()
        self._checked_at = 0.0
        self._jwks: dict = {}

    def get(self) -> tuple[keys.KeyRing, dict]:
        ttl = self._config["KEYS_CACHE_SECONDS"]
        if self._ring is not None and time.monotonic() - self._checked_at < ttl:
            return self._ring, self._jwks
        with self._lock:
            if self._ring is None or time.monotonic() - self._checked_at >= ttl:
                self._refresh()
        return self._ring, self._jwks

    def _refresh(self) -> None:
        rows = db.session.execute(db.select(SigningKey.kid, SigningKey.state)).all()
        fingerprint = tuple(sorted((kid, state) for kid, state in rows))
        if fingerprint != self._fingerprint or self._ring is None:
            self._records = load_records()
            self._ring = keys.KeyRing(self._records, current_app.config["KEYS_PASSPHRASE"])
            self._fingerprint = fingerprint
        # Recomputed at every check: a retired key leaves /jwks once its tokens expired.
        publishable = keys.publishable(self._records, utcnow(), max_token_lifetime())
        self._jwks = keys.build_jwks(publishable)
        self._checked_at = time.monotonic()


def _cache() -> _RingCache:
    return per_app("idp_keyring", lambda app: _RingCache(app.config))


def keyring() -> keys.KeyRing:
    return _cache().get()[0]


def public_jwks() -> dict:
    """The JWKS document: next, active and still-needed retired keys, public members only."""
    return _cache().get()[1]
