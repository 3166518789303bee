"""``idp users``: the local identity store, driven with the CLI runner."""

from __future__ import annotations

import pytest

from idp.citizens.passwords import verify_password
from idp.extensions import db
from idp.models import User

PIVOT = [
    "--given-name", "Marie", "--family-name", "Dupont", "--birthdate", "1985-04-12",
    "--gender", "female", "--birthplace", "75056", "--birthcountry", "99100",
]  # fmt: skip


def create(runner, username: str, *extra: str):
    return runner.invoke(
        args=["users", "create", "--username", username, "--password", "a-password-1", *PIVOT, *extra]
    )


def test_create_hashes_the_password(app, runner):
    result = create(runner, "marie")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "marie"))
        assert user.password_hash != "a-password-1"
        assert verify_password(user.password_hash, "a-password-1")


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
        args=["users", "create", "--username", "x", "--password", "a-password-1", *arguments]
    )
    assert result.exit_code == 2
