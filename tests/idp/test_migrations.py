"""Alembic migrations: they build exactly the models' schema, and carry data across."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from idp import create_app
from idp.database import MIGRATIONS_DIR
from idp.extensions import db
from idp.models import RevokedAccessToken
from tests.conftest import BASE_SETTINGS


def fresh_app(tmp_path):
    return create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(tmp_path / "instance")})


def test_the_migrated_schema_is_the_models_schema(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def test_0002_keeps_the_revocations_of_recorded_client_credentials_tokens(tmp_path):
    """Before 0002, client_credentials tokens were recorded (no user, no grant); a revoked
    one must stay revoked once introspection reads the revocation list instead."""
    app = fresh_app(tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    later = now + timedelta(seconds=60)
    access_tokens = sa.table(
        "access_tokens",
        *(sa.column(name) for name in ("jti", "client_id", "user_id", "grant_id", "scope")),
        *(sa.column(name, sa.DateTime(timezone=True)) for name in ("issued_at", "expires_at", "revoked_at")),
    )
    rows = [
        {"jti": "machine-revoked", "user_id": None, "grant_id": None, "revoked_at": now},
        {"jti": "machine-live", "user_id": None, "grant_id": None, "revoked_at": None},
        {"jti": "citizen-revoked", "user_id": None, "grant_id": "g1", "revoked_at": now},
    ]
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0001")
        with db.engine.begin() as connection:
            connection.execute(
                access_tokens.insert(),
                [
                    {"client_id": "sp", "scope": "dgfip_rfr", "issued_at": now, "expires_at": later, **row}
                    for row in rows
                ],
            )
        upgrade(directory=MIGRATIONS_DIR)
        listed = db.session.scalars(sa.select(RevokedAccessToken)).all()
        assert [(row.jti, row.client_id, row.expires_at) for row in listed] == [
            ("machine-revoked", "sp", later)
        ]
        db.session.remove()
        db.engine.dispose()
