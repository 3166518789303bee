"""Shared fixtures: ``app``, ``client`` and ``runner`` on a real, migrated database: the embedded
SQLite, then PostgreSQL (tests/databases.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import postgres
from idp import create_app
from idp.database import upgrade_schema
from idp.demo.seed import MACHINE_SCOPES
from idp.extensions import db
from idp.operations.embedded import prepare_embedded
from idp.registry.transfer import (
    BUNDLED_REGISTRY,
    FRANCECONNECT_SUPPLEMENT,
    import_bundled_registry,
    import_registry_file,
)
from tests import databases

pytest_plugins = ["tests.measurements"]


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the session; the URL of its ``idp`` database."""
    if not postgres.available():
        pytest.fail("the PostgreSQL tests need Debian's postgresql: run `make install-dev`")
    with postgres.cluster() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_server, template_instance) -> str:
    """A migrated PostgreSQL database with keys (under the template instance's passphrase)
    and the registry, copied by every PostgreSQL test."""
    url = databases.create_database(postgres_server, databases.TEMPLATE)
    application = create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(template_instance), "DATABASE_URL": url})
    upgrade_schema(application)
    prepare_embedded(application)
    with application.app_context():
        import_bundled_registry()
        import_registry_file(MACHINE_SCOPES)
        db.engine.dispose()
    return databases.TEMPLATE


@pytest.fixture
def postgres_database(postgres_server, postgres_template) -> Iterator[str]:
    """This test's own PostgreSQL database, a copy of the template; dropped afterwards."""
    name = databases.next_name()
    url = databases.create_database(postgres_server, name, template=postgres_template)
    yield url
    databases.drop_database(postgres_server, name)


@pytest.fixture(params=databases.SELECTED)
def database_url(request) -> str | None:
    """The database of this run of the test: None for the embedded SQLite, else a URL.

    A test marked ``sqlite_only`` (it reads SQLite's own traces or files) skips PostgreSQL.
    """
    if request.param == "sqlite":
        return None
    marker = request.node.get_closest_marker("sqlite_only")
    if marker is not None:
        pytest.skip(f"SQLite only: {marker.args[0]}")
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def app(tmp_path, app_settings, template_instance, database_url):
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    database = {"DATABASE_URL": database_url} if database_url else {}
    application = create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(instance), **database, **app_settings})
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def other_instances() -> Iterator:
    """Makes applications beside ``app`` (other instances on its database, as other servers
    would be); their engines are disposed afterwards, which also stops their change listeners
    (idp.database.notifications): left running, they would go on connecting to a database
    dropped after the test, and their warnings would land in a later test's logs."""
    made = []

    def make(settings: dict):
        made.append(create_app(settings))
        return made[-1]

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def postgres_empty_database(postgres_server) -> Iterator[str]:
    """A new, empty PostgreSQL database (``idp db upgrade`` makes its schema); dropped afterwards."""
    name = databases.next_name()
    url = databases.create_database(postgres_server, name)
    yield url
    databases.drop_database(postgres_server, name)


@pytest.fixture(params=databases.SELECTED)
def live_server(request, tmp_path):
    """A real ``idp serve`` (Granian, 2 workers) on a loopback port, seeded with the demo, on
    each database in turn."""
    from tests.e2e_server import start_server

    env = {}
    if request.param == "postgresql":
        env["IDP_DATABASE_URL"] = request.getfixturevalue("postgres_empty_database")
    server = start_server(tmp_path, workers=2, env=env)
    yield server
    server.stop()
