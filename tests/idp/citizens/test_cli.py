"""``idp users``: the local identity store, driven with the CLI runner."""

from __future__ import annotations

import json

import pytest

from idp.citizens.passwords import verify_password
from idp.extensions import db
from idp.models import AccessTokenRecord, ConnectionEvent, Consent, LoginSession, User
from tests.idp.conftest import PASSWORD, CodeFlow

PIVOT = [
    "--given-name", "Marie", "--family-name", "Dupont", "--birthdate", "1985-04-12",
    "--gender", "female", "--birthplace", "75056", "--birthcountry", "99100",
]  # fmt: skip


def create(runner, username: str, *extra: str):
    return runner.invoke(
        args=["users", "create", "--username", username, "--password", PASSWORD, *PIVOT, *extra]
    )


def test_create_hashes_the_password(app, runner):
    result = create(runner, "marie")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "marie"))
        assert user.password_hash != PASSWORD
        assert verify_password(user.password_hash, PASSWORD)


def test_a_username_is_taken_once(runner):
    assert create(runner, "marie").exit_code == 0
    again = create(runner, "marie")
    assert again.exit_code == 2 and "already exists" in again.output


@pytest.mark.parametrize(
    "option, value",
    [
        ("--birthdate", "12/04/1985"),
        ("--birthplace", "Paris"),
        ("--birthdate", "2999-01-01"),
        ("--birthplace", ""),
    ],
)
def test_malformed_pivot_identity_is_refused(runner, option, value):
    arguments = list(PIVOT)
    arguments[arguments.index(option) + 1] = value
    result = runner.invoke(
        args=["users", "create", "--username", "x", "--password", PASSWORD, *arguments]
    )
    assert result.exit_code == 2


def test_list_and_show_never_print_the_password_hash(app, runner):
    assert create(runner, "marie", "--email", "marie@example.fr").exit_code == 0
    listed = runner.invoke(args=["users", "list", "--json"])
    assert listed.exit_code == 0
    assert [account["username"] for account in json.loads(listed.output)] == ["marie"]
    shown = runner.invoke(args=["users", "show", "marie"])
    assert json.loads(shown.output)["email"] == "marie@example.fr"
    with app.app_context():
        stored_hash = db.session.scalar(db.select(User.password_hash).where(User.username == "marie"))
    assert stored_hash not in listed.output + shown.output
    assert "password" not in listed.output + shown.output
    assert runner.invoke(args=["users", "show", "nobody"]).exit_code == 2


def test_set_password_replaces_it_and_ends_the_sign_ins(app, client, runner, service_provider):
    """Whoever signed in with the old password is signed out (the session row is revoked)."""
    assert create(runner, "marie").exit_code == 0
    flow = CodeFlow(client, service_provider, username="marie")
    flow.login()
    assert flow.http.get("/account").status_code == 200
    result = runner.invoke(args=["users", "set-password", "marie", "--password", "another-password-2"])
    assert result.exit_code == 0, result.output
    assert flow.http.get("/account").status_code == 303  # signed out: to the chooser
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "marie"))
        assert verify_password(user.password_hash, "another-password-2")
        assert not verify_password(user.password_hash, PASSWORD)
    short = runner.invoke(args=["users", "set-password", "marie", "--password", "short"])
    assert short.exit_code == 2 and "at least 8" in short.output


def test_delete_erases_the_citizen_and_what_hangs_on_them(app, client, runner, service_provider):
    assert create(runner, "marie").exit_code == 0
    CodeFlow(client, service_provider, username="marie").tokens()
    refused = runner.invoke(args=["users", "delete", "marie"], input="n\n")
    assert refused.exit_code == 1
    result = runner.invoke(args=["users", "delete", "marie", "--yes"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "deleted marie (consents: 1, sign-in sessions: 1, access tokens: 1, refresh tokens: 0, "
        "authorization codes: 1, connection history entries: 1)\n"
    )
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0
        for model in (Consent, ConnectionEvent, LoginSession, AccessTokenRecord):
            assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0, model
