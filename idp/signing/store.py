"""The signing keys in the database: the first set, rotation and retirement, done safely.

The states and their rules are the framework-free ``keys`` package's
(:mod:`keys.states`); this module stores them, and refuses what would break signing:

- a passphrase that does not decrypt the stored keys (``IDP_KEYS_PASSPHRASE`` changed or
  mistyped) fails before anything is written, with one clear line;
- a key signs only once it has been published long enough for every cache to hold it:
  :func:`publication_delay`, the workers' key cache plus the ``/jwks`` cache lifetime.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

import keys
from idp.extensions import db
from idp.models import SigningKey, utcnow
from idp.telemetry.logs import audit

#: ``Cache-Control: max-age`` of ``/jwks``: how long a relying party may keep the key set.
JWKS_MAX_AGE_SECONDS = 60


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


def publication_delay() -> timedelta:
    """How long a published key takes to be in every cache: the workers' own key cache
    (``KEYS_CACHE_SECONDS``), then a relying party's copy of ``/jwks``."""
    return timedelta(seconds=current_app.config["KEYS_CACHE_SECONDS"] + JWKS_MAX_AGE_SECONDS)


def max_token_lifetime() -> timedelta:
    """How long a signature may still be checked after the key stopped signing."""
    config = current_app.config
    seconds = max(config["ACCESS_TOKEN_LIFETIME"], config["ID_TOKEN_LIFETIME"])
    return timedelta(seconds=seconds) + publication_delay()


def check_passphrase(records: list[keys.KeyRecord]) -> None:
    """Every key that signs or will sign decrypts with the configured passphrase.

    Raises :class:`keys.KeyDecryptionError` naming the key, before anything is written.
    """
    passphrase = current_app.config["KEYS_PASSPHRASE"]
    for record in records:
        if record.state is not keys.KeyState.RETIRED:
            try:
                keys.decrypt_private_key(record.encrypted_private_key, passphrase)
            except keys.KeyDecryptionError:
                raise keys.KeyDecryptionError(
                    f"IDP_KEYS_PASSPHRASE does not decrypt key {record.kid} ({record.alg}): "
                    "use the passphrase the keys were made with"
                ) from None


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
        created = keys.initial_key_set(current_app.config["KEYS_PASSPHRASE"], now=utcnow())
        _save(created)
        audit("signing_keys_created", keys={record.kid: record.state.value for record in created})


def rotate(now: datetime | None = None) -> list[keys.KeyRecord]:
    """NEXT becomes ACTIVE (if published long enough), ACTIVE becomes RETIRED, a new NEXT."""
    now = now or utcnow()
    current = load_records()
    check_passphrase(current)
    records = keys.plan_rotation(
        current, current_app.config["KEYS_PASSPHRASE"], now, min_next_age=publication_delay()
    )
    _save(_without_expired(records, now))
    audit("signing_keys_rotated", keys={record.kid: record.state.value for record in records})
    return records


def retire(kid: str, now: datetime | None = None) -> list[keys.KeyRecord]:
    """Retire ``kid``; an ACTIVE key hands over to its NEXT key (see :func:`keys.plan_retire`)."""
    current = load_records()
    check_passphrase(current)
    records = keys.plan_retire(current, kid, now or utcnow())
    _save(records)
    audit("signing_key_retired", kid=kid)
    return records


def _without_expired(records: list[keys.KeyRecord], now: datetime) -> list[keys.KeyRecord]:
    """Drop retired keys whose every token has expired: nothing needs them any more."""
    dead = set(keys.prunable(records, now, max_token_lifetime()))
    return [record for record in records if record.kid not in dead]
