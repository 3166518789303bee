"""``idp clients``: the feature's AppGroup, driven with the CLI runner."""

from __future__ import annotations

import json

import pytest

from idp.extensions import db
from idp.models import Client
from idp.models.clients import hash_secret


def run(runner, *args: str):
    result = runner.invoke(args=["clients", *args])
    return result


def created(runner, *options: str) -> dict:
    result = run(runner, "create", "--name", "Service", "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_create_prints_the_secret_once_and_stores_its_hash(app, runner):
    credentials = created(runner, "--redirect-uri", "https://sp.example.fr/cb")
    assert len(credentials["client_secret"]) >= 43  # 256 bits, base64url
    with app.app_context():
        client = db.session.scalar(db.select(Client).where(Client.client_id == credentials["client_id"]))
        assert client.client_secret_hash == hash_secret(credentials["client_secret"])
        assert client.redirect_uris == ["https://sp.example.fr/cb"]


def test_update_replaces_the_redirect_uris(runner):
    client_id = created(runner, "--redirect-uri", "https://a.example.fr/cb")["client_id"]
    result = run(runner, "update", client_id, "--redirect-uri", "https://b.example.fr/cb", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["redirect_uris"] == ["https://b.example.fr/cb"]


def test_rotate_secret_invalidates_the_old_one(app, runner):
    credentials = created(runner)
    result = run(runner, "rotate-secret", credentials["client_id"], "--json")
    rotated = json.loads(result.output)
    assert rotated["client_id"] == credentials["client_id"]
    assert rotated["client_secret"] != credentials["client_secret"]
    with app.app_context():
        client = db.session.scalar(db.select(Client).where(Client.client_id == credentials["client_id"]))
        assert not client.check_client_secret(credentials["client_secret"])
        assert client.check_client_secret(rotated["client_secret"])


def test_list_show_and_delete(runner):
    client_id = created(runner)["client_id"]
    listed = json.loads(run(runner, "list", "--json").output)
    assert client_id in [item["client_id"] for item in listed]
    shown = json.loads(run(runner, "show", client_id).output)
    assert shown["client_id"] == client_id and "client_secret_hash" not in shown
    assert run(runner, "delete", client_id).exit_code == 0
    assert run(runner, "show", client_id).exit_code != 0


@pytest.mark.parametrize(
    "options, message",
    [
        (["--redirect-uri", "http://sp.example.fr/cb"], "https"),
        (["--redirect-uri", "https://sp.example.fr/cb#x"], "fragment"),
        (["--role", "data-provider"], "namespace"),
        (["--auth-method", "private_key_jwt"], "jwks"),
    ],
)
def test_invalid_metadata_is_a_usage_error_naming_the_field(runner, options, message):
    result = run(runner, "create", "--name", "Service", *options)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("name", ["Portail\nBcc: x@example.org", "Portail\r", "Tab\there", " "])
def test_a_name_must_be_one_printable_line(app, runner, name):
    """A service's name is shown on pages and put in the alert's subject (RFC 5322 §2.2)."""
    result = run(runner, "create", "--name", name, "--json")
    assert result.exit_code == 2
    assert "name must be 1 to 255 printable characters" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Client.id)).where(Client.name == name)) == 0
