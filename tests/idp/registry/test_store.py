"""The per-process registry cache's reload (``store._load_cached``, what each
``REGISTRY_CACHE_SECONDS`` runs): an unchanged registry is not rebuilt, and any change to a row
of its tables, whoever made it, is."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from idp.extensions import db
from idp.registry import store


def test_a_reload_keeps_the_registry_while_its_rows_are_unchanged(app):
    with app.app_context():
        first = store._load_cached(None)
        assert store._load_cached(first) is first


@pytest.mark.parametrize(
    "change",
    [
        # In place, as an operator's psql would: no ``updated_at``, no ORM.
        "UPDATE registry_scopes SET label_fr = 'Revenu fiscal (modifié)' WHERE key = 'dgfip_rfr'",
        "UPDATE registry_scopes SET claims = '[\"email\", \"email_verified\"]' WHERE key = 'email'",
        "UPDATE registry_providers SET label = 'DGFiP (modifiée)' WHERE slug = 'dgfip'",
        "DELETE FROM registry_scopes WHERE key = 'dgfip_rfr'",
    ],
)
def test_a_reload_rebuilds_the_registry_once_a_row_changed(app, change):
    with app.app_context():
        first = store._load_cached(None)
        with db.engine.begin() as connection:
            connection.execute(sa.text(change))
        rebuilt = store._load_cached(first)
        assert rebuilt is not first
        assert rebuilt.registry == store.read_registry() != first.registry
        assert store._load_cached(rebuilt) is rebuilt
