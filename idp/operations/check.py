"""``idp check``: what a deployment script runs before it starts or restarts ``idp serve``.

One line per check, in this order, each needing the one before: the configuration (it
loaded and passed :func:`idp.config.validate_config`, or the command would not have
started), then the checks ``GET /readyz`` runs too (:mod:`idp.observability.readiness`):
the database (reachable), the migrations (at head: ``idp db upgrade`` was run for this
version), the keys (the signing keys decrypt with ``IDP_KEYS_PASSPHRASE``). The exit
status is 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

from flask import Flask

from idp.database.schema import displayed_url
from idp.extensions import db
from idp.observability.readiness import Result
from idp.observability.readiness import run_checks as readiness_checks


def run_checks(app: Flask) -> list[Result]:
    """Every check, within ``app``'s context."""
    configuration = Result(
        "configuration", True, f"issuer {app.config['ISSUER']}, database {displayed_url(db.engine)}"
    )
    return [configuration, *readiness_checks()]
