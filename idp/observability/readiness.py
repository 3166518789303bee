"""Is this instance ready to serve: the checks ``GET /readyz`` and ``idp check`` share.

In this order, each needing the one before: the database (reachable, within the bounded
waits of :mod:`idp.database.bounds`, ``IDP_DATABASE_TIMEOUT``), the migrations (at head:
:func:`idp.database.schema.schema_state`), the keys (the signing keys decrypt with
``IDP_KEYS_PASSPHRASE`` and one is active). ``idp check`` adds the configuration before
them (:mod:`idp.operations.check`); ``/readyz`` answers from them
(:mod:`idp.observability.views`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.exc import DBAPIError

import keys
from idp import signing
from idp.database import rollback_request
from idp.database.schema import schema_state, unreachable
from idp.extensions import db


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool | None  # None: not run, since a check it needs failed
    detail: str

    @property
    def status(self) -> str:
        return {True: "ok", False: "failed", None: "skipped"}[self.ok]

    def line(self) -> str:
        return f"{self.name}: {self.status.upper() if self.ok is False else self.status}: {self.detail}"


def run_checks() -> list[Result]:
    """The database, the migrations and the keys, within an application context."""
    engine = db.engine
    try:
        state = schema_state(engine)
    except DBAPIError as error:
        return _database_down(unreachable(engine, error))
    results = [Result("database", True, "reachable")]
    if state.problem:
        return [
            *results,
            Result("migrations", False, state.problem),
            Result("keys", None, "the schema is not at head"),
        ]
    results.append(Result("migrations", True, f"at head ({state.head})"))
    try:
        results.append(_keys())
    except DBAPIError as error:  # the database went away between the two checks
        rollback_request()
        return _database_down(unreachable(engine, error))
    return results


def _database_down(detail: str) -> list[Result]:
    return [
        Result("database", False, detail),
        Result("migrations", None, "the database is unreachable"),
        Result("keys", None, "the database is unreachable"),
    ]


#: The key sets (each key's kid, state and encrypted blob, and the passphrase) that were
#: found to decrypt. Decrypting is a password KDF per key, about 50 ms: a load balancer
#: polling /readyz would otherwise spend a core's tenth on it. The same blobs under the same
#: passphrase decrypt the same way, so a set already checked is not checked again.
_decrypted: set[str] = set()
_REMEMBERED_SETS = 16


def _fingerprint(records: list[keys.KeyRecord]) -> str:
    digest = hashlib.sha256(str(current_app.config["KEYS_PASSPHRASE"]).encode())
    for record in sorted(records, key=lambda record: record.kid):
        digest.update(f"\n{record.kid} {record.state.value} ".encode())
        digest.update(hashlib.sha256(record.encrypted_private_key).digest())
    return digest.hexdigest()


def _check_decryption(records: list[keys.KeyRecord]) -> None:
    """:func:`idp.signing.check_passphrase`, once per key set and passphrase."""
    fingerprint = _fingerprint(records)
    if fingerprint in _decrypted:
        return
    signing.check_passphrase(records)
    if len(_decrypted) >= _REMEMBERED_SETS:
        _decrypted.clear()
    _decrypted.add(fingerprint)


def _keys() -> Result:
    records = signing.load_records()
    if not records:
        return Result("keys", True, "none yet: idp serve creates the first set")
    try:
        _check_decryption(records)
    except keys.KeyManagementError as error:
        return Result("keys", False, str(error))
    active = sorted(f"{key.alg} {key.kid}" for key in records if key.state is keys.KeyState.ACTIVE)
    if not active:
        return Result("keys", False, "no active signing key (see `idp keys list`)")
    detail = f"{len(records)} stored, the signing ones decrypt; active {', '.join(active)}"
    return Result("keys", True, detail)


def ready(results: list[Result]) -> bool:
    return all(result.ok for result in results)
