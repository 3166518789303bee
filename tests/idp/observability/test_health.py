"""``/healthz`` (liveness, no database) and ``/readyz`` (idp.observability.readiness), the
checks ``idp check`` prints too (tests/idp/operations/test_check.py)."""

from __future__ import annotations

import pytest

from idp import create_app
from idp.extensions import db
from tests.conftest import BASE_SETTINGS
from tests.e2e_server import free_port

READY = {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "keys": "ok"}}


def test_healthz_and_readyz_of_a_ready_instance(client):
    alive = client.get("/healthz")
    assert (alive.status_code, alive.get_json()) == (200, {"status": "alive"})
    ready = client.get("/readyz")
    assert (ready.status_code, ready.get_json()) == (200, READY)
    assert ready.headers["Cache-Control"] == "no-store"


def test_an_unreachable_database_is_unavailable_yet_alive(tmp_path, caplog):
    """PostgreSQL on a port nobody listens on: /readyz says so quickly, /healthz never asks."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/idp"
    down = create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url})
    http = down.test_client()
    assert http.get("/healthz").status_code == 200
    answer = http.get("/readyz")
    assert (answer.status_code, answer.get_json()) == (
        503,
        {
            "status": "unavailable",
            "checks": {"database": "failed", "migrations": "skipped", "keys": "skipped"},
        },
    )
    assert "database: FAILED: the database postgresql+psycopg://postgres@127.0.0.1" in caplog.text
    with down.app_context():
        db.engine.dispose()


def unavailable_checks(application) -> dict:
    """``/readyz`` of ``application``, which must be a 503: its checks."""
    answer = application.test_client().get("/readyz")
    with application.app_context():
        db.engine.dispose()
    assert (answer.status_code, answer.get_json()["status"]) == (503, "unavailable")
    return answer.get_json()["checks"]


def test_a_database_before_db_upgrade_fails_at_migrations(tmp_path):
    fresh = create_app({**BASE_SETTINGS, "INSTANCE_PATH": str(tmp_path / "instance")})
    assert unavailable_checks(fresh) == {"database": "ok", "migrations": "failed", "keys": "skipped"}


def test_keys_that_do_not_decrypt_are_unavailable(app):
    other = create_app(
        {
            **BASE_SETTINGS,
            "INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "KEYS_PASSPHRASE": "not the passphrase the keys were made with",
        }
    )
    assert unavailable_checks(other) == {"database": "ok", "migrations": "ok", "keys": "failed"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_only_get_and_head(client, path):
    assert client.head(path).status_code in (200, 503)
    refused = client.post(path)
    assert (refused.status_code, refused.get_json()["error"]) == (405, "invalid_request")
