"""Shared fixtures: ``app``, ``client`` and ``runner`` on a real, migrated SQLite database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from idp import create_app
from idp.demo.seed import MACHINE_SCOPES
from idp.extensions import db
from idp.operations.embedded import prepare_embedded
from idp.registry.transfer import (
    BUNDLED_REGISTRY,
    FRANCECONNECT_SUPPLEMENT,
    import_bundled_registry,
    import_registry_file,
)


@pytest.fixture
def app_settings() -> dict:
    """Override in a test module to change settings before the app is built."""
    return {}


def template_registry_document() -> dict:
    """What every test app's registry holds: the bundled registry and its supplement, then the
    demo's machine scope."""
    bundled = json.loads(BUNDLED_REGISTRY.read_text(encoding="utf-8"))
    supplement = json.loads(FRANCECONNECT_SUPPLEMENT.read_text(encoding="utf-8"))
    machine = json.loads(MACHINE_SCOPES.read_text(encoding="utf-8"))
    return {**bundled, "scopes": [*bundled["scopes"], *supplement["scopes"], *machine["scopes"]]}


BASE_SETTINGS = {
    "ISSUER": "http://127.0.0.1:5000",
    "KEYS_CACHE_SECONDS": 1,
    "REGISTRY_CACHE_SECONDS": 1,
    "TESTING": True,
}


@pytest.fixture(scope="session")
def template_instance(tmp_path_factory) -> Path:
    """One migrated instance (schema, keys, secrets, registry) copied by every test."""
    path = tmp_path_factory.mktemp("template") / "instance"
    application = create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(path)})
    prepare_embedded(application)
    with application.app_context():
        import_bundled_registry()
        import_registry_file(MACHINE_SCOPES)
        db.engine.dispose()
    return path


@pytest.fixture
def app(tmp_path, app_settings, template_instance):
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    application = create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(instance), **app_settings})
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(tmp_path):
    """A real ``idp serve`` (Granian, 2 workers) on a loopback port, seeded with the demo."""
    from tests.e2e_server import start_server

    server = start_server(tmp_path, workers=2)
    yield server
    server.stop()
