"""``idp check`` (one line per check, exit 0 or 1) and what ``idp serve`` checks before it
starts Granian (idp/operations/preflight.py)."""

from __future__ import annotations

import socket

import pytest

from idp import create_app
from idp.database.schema import NOT_INITIALISED, head_revision
from idp.extensions import db
from tests.conftest import BASE_SETTINGS
from tests.e2e_server import free_port


def check(application):
    return application.test_cli_runner().invoke(args=["check"])


def test_a_ready_deployment_passes_every_check(app):
    result = check(app)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":", 2)[:2] for line in lines] == [
        ["configuration", " ok"],
        ["database", " ok"],
        ["migrations", " ok"],
        ["keys", " ok"],
    ]
    assert lines[2] == f"migrations: ok: at head ({head_revision()})"
    assert lines[3].startswith("keys: ok: 4 stored, the signing ones decrypt; active ES256 ")


def test_keys_that_do_not_decrypt_fail(app):
    other = create_app(
        {
            **BASE_SETTINGS,
            "INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "KEYS_PASSPHRASE": "not the passphrase the keys were made with",
        }
    )
    result = check(other)
    assert result.exit_code == 1
    assert result.output.splitlines()[3].startswith("keys: FAILED: IDP_KEYS_PASSPHRASE does not decrypt key ")
    with other.app_context():
        db.engine.dispose()


def test_a_database_before_db_upgrade_fails_at_migrations(tmp_path):
    fresh = create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(tmp_path / "instance")})
    result = check(fresh)
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "database: ok: reachable",
        f"migrations: FAILED: {NOT_INITIALISED}",
        "keys: skipped: the schema is not at head",
    ]


def test_an_unreachable_database_fails_and_skips_the_rest(tmp_path):
    port = free_port()
    url = f"postgresql+psycopg://idp:s3cret@127.0.0.1:{port}/idp"
    unreachable = create_app(
        {**BASE_SETTINGS, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url}
    )
    result = check(unreachable)
    assert result.exit_code == 1
    masked = f"postgresql+psycopg://idp:***@127.0.0.1:{port}/idp"
    assert result.output.splitlines() == [
        f"configuration: ok: issuer http://127.0.0.1:5000, database {masked}",
        f"database: FAILED: the database {masked} is unreachable: connection failed: "
        f'connection to server at "127.0.0.1", port {port} failed: Connection refused',
        "migrations: skipped: the database is unreachable",
        "keys: skipped: the database is unreachable",
    ]


@pytest.fixture
def busy_port():
    with socket.create_server(("127.0.0.1", 0)) as listening:
        listening.listen()
        yield listening.getsockname()[1]


def test_serve_refuses_a_busy_port_before_starting(runner, busy_port):
    result = runner.invoke(args=["serve", "--port", str(busy_port)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: port {busy_port} on 127.0.0.1 is busy: another server listens there "
        "(choose another with --port)\n"
    )


def test_serve_refuses_a_busy_metrics_port_before_starting(runner, busy_port):
    result = runner.invoke(args=["serve", "--port", str(free_port()), "--metrics-port", str(busy_port)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: port {busy_port} on 127.0.0.1 is busy: another server listens there "
        "(choose another with --metrics-port)\n"
    )


def test_serve_refuses_an_address_of_another_machine(runner):
    result = runner.invoke(args=["serve", "--host", "192.0.2.1", "--port", "5000"])
    assert result.exit_code == 1
    assert result.output == "Error: cannot listen on 192.0.2.1:5000: Cannot assign requested address\n"


def test_serve_refuses_an_external_database_before_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'external.sqlite3'}"
    external = create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url})
    result = external.test_cli_runner().invoke(args=["serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert result.output == f"Error: {NOT_INITIALISED}\n"
