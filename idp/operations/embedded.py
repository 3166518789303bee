"""The embedded set-up: the first start on SQLite needs no command.

``idp serve`` with the embedded default (SQLite under the instance folder) creates the schema
and a first key set when they are missing (DESIGN: "it creates the schema and a first key
set when they are missing"). With an external database, ``idp db upgrade`` does the schema.
"""

from __future__ import annotations

from flask import Flask

from idp import signing
from idp.database import upgrade_schema


def prepare_embedded(app: Flask) -> None:
    """The embedded default creates its schema; any set-up creates a first key set if missing.

    The stored keys must decrypt with ``IDP_KEYS_PASSPHRASE``: a wrong passphrase stops the
    start here (:class:`keys.KeyDecryptionError`), not every request after it.
    """
    if app.config["EMBEDDED_DATABASE"]:
        upgrade_schema(app)
    with app.app_context():
        signing.ensure_keys()
        signing.check_passphrase(signing.load_records())
