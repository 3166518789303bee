"""What each ``idp serve`` worker does before its first request (idp.operations.serving)."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.operations.serving import warm_caches


def test_the_key_ring_is_loaded_before_the_first_request(app):
    """So that /jwks can answer from it should the database fail before anyone asked."""
    assert "idp_keyring" not in app.extensions
    warm_caches(app)
    assert app.extensions["idp_keyring"]._value is not None


@pytest.mark.sqlite_only("makes the SQLite file impossible to open")
def test_a_database_down_at_start_does_not_stop_the_worker(app, tmp_path):
    app.config["KEYS_CACHE_SECONDS"] = 60
    with app.app_context():
        db.engine.dispose()
    (tmp_path / "instance" / "idp.sqlite3").unlink()
    (tmp_path / "instance" / "idp.sqlite3").mkdir()  # cannot be opened
    warm_caches(app)  # logged, not raised
    assert "idp_keyring" not in app.extensions or app.extensions["idp_keyring"]._value is None
