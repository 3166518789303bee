"""The ``idp`` command itself (idp/cli.py): an operator's mistake is one line on stderr and
exit status 1, never a traceback. Run as operators run it: the installed console script."""

from __future__ import annotations

import os
import subprocess

import pytest
from alembic.script import ScriptDirectory

from idp.database import MIGRATIONS_DIR
from idp.database.schema import head_revision
from tests.e2e_server import IDP, free_port


def idp(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "IDP_INSTANCE_PATH": str(tmp_path / "instance"), **env}
    return subprocess.run([IDP, *args], env=environment, capture_output=True, text=True, timeout=120)


def assert_one_line(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"Error: {message}\n"
    assert "Traceback" not in result.stdout


UNREACHABLE = "postgresql+psycopg://idp:s3cret@127.0.0.1:{port}/idp"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("clients", "list"), {}, "the database is not initialised: run `idp db upgrade`"),
        (("users", "list"), {}, "the database is not initialised: run `idp db upgrade`"),
        (
            ("clients", "list"),
            {"IDP_ISSUER": "http://idp.example.fr"},
            "IDP_ISSUER must use https except on loopback",
        ),
        (("--help",), {"IDP_SECRET_KEY": "short"}, "IDP_SECRET_KEY must be at least 32 characters"),
        (
            ("db", "upgrade"),
            {"IDP_ACCESS_TOKEN_LIFETIME": "soon"},
            "IDP_ACCESS_TOKEN_LIFETIME must be an integer",
        ),
    ],
    ids=[
        "before-db-upgrade",
        "users-before-db-upgrade",
        "invalid-issuer",
        "help-invalid-secret",
        "invalid-integer",
    ],
)
def test_operator_mistakes_are_one_line(tmp_path, args, env, message):
    assert_one_line(idp(tmp_path, *args, **env), message)


@pytest.mark.parametrize("args", [("clients", "list"), ("db", "upgrade"), ("keys", "list")])
def test_an_unreachable_database_is_one_line_without_its_password(tmp_path, args):
    port = free_port()
    result = idp(tmp_path, *args, IDP_DATABASE_URL=UNREACHABLE.format(port=port))
    assert_one_line(
        result,
        f"the database postgresql+psycopg://idp:***@127.0.0.1:{port}/idp is unreachable: connection failed: "
        f'connection to server at "127.0.0.1", port {port} failed: Connection refused',
    )
    assert "s3cret" not in result.stderr


def test_a_schema_behind_this_version_asks_for_db_upgrade(tmp_path):
    head = head_revision()
    previous = ScriptDirectory(MIGRATIONS_DIR).get_revision(head).down_revision
    url = f"sqlite:///{tmp_path / 'external.sqlite3'}"
    assert idp(tmp_path, "db", "upgrade", previous, IDP_DATABASE_URL=url).returncode == 0
    assert_one_line(
        idp(tmp_path, "serve", "--port", str(free_port()), IDP_DATABASE_URL=url),
        f"the database schema is at revision {previous}, this version needs {head}: run `idp db upgrade`",
    )
