"""Shared fixtures: ``app``, ``client`` and ``runner`` on a real, migrated SQLite database."""

from __future__ import annotations

import pytest

from idp import create_app, database
from idp.demo_seed import import_registry_file


@pytest.fixture
def app_settings() -> dict:
    """Override in a test module to change settings before the app is built."""
    return {}


@pytest.fixture
def app(tmp_path, app_settings):
    settings = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "ISSUER": "http://127.0.0.1:5000",
        "KEYS_CACHE_SECONDS": 1,
        "REGISTRY_CACHE_SECONDS": 1,
        "TESTING": True,
    }
    settings.update(app_settings)
    application = create_app(settings)
    database.upgrade_schema(application)
    with application.app_context():
        database.prepare_embedded(application)
        import_registry_file()
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
