"""``idp check``: what a deployment script runs before it starts or restarts ``idp serve``.

One line per check, in this order, each needing the one before: the configuration (it
loaded and passed :func:`idp.config.validate_config`, or the command would not have
started), the database (reachable), the migrations (at head: ``idp db upgrade`` was run for
this version), the keys (the signing keys decrypt with ``IDP_KEYS_PASSPHRASE``). The exit
status is 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy.exc import DBAPIError

import keys
from idp import signing
from idp.database.schema import displayed_url, schema_state, unreachable
from idp.extensions import db


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool | None  # None: not run, since a check it needs failed
    detail: str

    def line(self) -> str:
        status = {True: "ok", False: "FAILED", None: "skipped"}[self.ok]
        return f"{self.name}: {status}: {self.detail}"


def run_checks(app: Flask) -> list[Result]:
    """Every check, within ``app``'s context."""
    engine = db.engine
    results = [
        Result("configuration", True, f"issuer {app.config['ISSUER']}, database {displayed_url(engine)}")
    ]
    try:
        state = schema_state(engine)
    except DBAPIError as error:
        return [
            *results,
            Result("database", False, unreachable(engine, error)),
            Result("migrations", None, "the database is unreachable"),
            Result("keys", None, "the database is unreachable"),
        ]
    results.append(Result("database", True, "reachable"))
    if state.problem:
        return [
            *results,
            Result("migrations", False, state.problem),
            Result("keys", None, "the schema is not at head"),
        ]
    results.append(Result("migrations", True, f"at head ({state.head})"))
    results.append(_keys())
    return results


def _keys() -> Result:
    records = signing.load_records()
    if not records:
        return Result("keys", True, "none yet: idp serve creates the first set")
    try:
        signing.check_passphrase(records)
    except keys.KeyDecryptionError as error:
        return Result("keys", False, str(error))
    active = sorted(f"{key.alg} {key.kid}" for key in records if key.state is keys.KeyState.ACTIVE)
    if not active:
        return Result("keys", False, "no active signing key (see `idp keys list`)")
    detail = f"{len(records)} stored, the signing ones decrypt; active {', '.join(active)}"
    return Result("keys", True, detail)
