"""Sign-in brute-force limiting per account and per IP, shared by every instance (the counters
live in the database), with a 429, a Retry-After (RFC 9110 §10.2.3) and a message saying when
to retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from idp import create_app
from idp.extensions import db
from idp.models import LoginThrottle, utcnow
from tests.idp.conftest import PASSWORD, csrf_token

ACCOUNT_LIMIT = 3
IP_LIMIT = 5
WINDOW = 600


@pytest.fixture
def app_settings() -> dict:
    return {
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": ACCOUNT_LIMIT,
        "LOGIN_MAX_FAILURES_PER_IP": IP_LIMIT,
        "LOGIN_THROTTLE_WINDOW": WINDOW,
    }


def sign_in(http, username: str, password: str, ip: str = "192.0.2.1"):
    environ = {"REMOTE_ADDR": ip}
    page = http.get("/login", environ_base=environ).get_data(as_text=True)
    return http.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
        environ_base=environ,
    )


def fail(http, username: str, times: int, ip: str = "192.0.2.1") -> list[int]:
    return [sign_in(http, username, "wrong password", ip).status_code for _ in range(times)]


def test_account_is_locked_after_the_limit_even_with_the_right_password(client, citizen):
    assert fail(client, citizen, ACCOUNT_LIMIT) == [401] * (ACCOUNT_LIMIT - 1) + [429]
    locked = sign_in(client, citizen, PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= WINDOW
    html = locked.get_data(as_text=True)
    assert 'role="alert"' in html
    assert "Trop de tentatives de connexion." in html
    assert "Vous pourrez réessayer dans 10 minutes." in html
    assert client.get("/account").status_code == 303  # not signed in


def test_locked_message_in_english(client, citizen):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    fail(client, citizen, ACCOUNT_LIMIT)
    html = sign_in(client, citizen, PASSWORD).get_data(as_text=True)
    assert "Too many sign-in attempts." in html
    assert "You may try again in 10 minutes." in html


def test_lock_ends_after_the_window(app, client, citizen):
    fail(client, citizen, ACCOUNT_LIMIT)
    with app.app_context():
        past = utcnow() - timedelta(seconds=1)
        db.session.execute(
            update(LoginThrottle).values(locked_until=past, window_start=past - timedelta(seconds=WINDOW))
        )
        db.session.commit()
    assert sign_in(client, citizen, PASSWORD).status_code == 303


def test_account_lock_holds_from_every_ip(client, citizen):
    fail(client, citizen, ACCOUNT_LIMIT, ip="192.0.2.1")
    assert sign_in(client, citizen, PASSWORD, ip="198.51.100.7").status_code == 429


def test_account_lock_is_case_insensitive(client, citizen):
    fail(client, citizen.upper(), ACCOUNT_LIMIT)
    assert sign_in(client, citizen, PASSWORD).status_code == 429


def test_ip_is_locked_across_accounts(client, citizen):
    for index in range(IP_LIMIT - 1):
        assert fail(client, f"unknown{index}", 1) == [401]
    assert fail(client, "another-unknown", 1) == [429]
    # the right password from that IP waits too; another IP is not affected
    assert sign_in(client, citizen, PASSWORD).status_code == 429
    assert sign_in(client, citizen, PASSWORD, ip="198.51.100.7").status_code == 303


def test_success_resets_the_account_counter(client, citizen):
    fail(client, citizen, ACCOUNT_LIMIT - 1)
    assert sign_in(client, citizen, PASSWORD).status_code == 303
    assert fail(client, citizen, ACCOUNT_LIMIT - 1, ip="198.51.100.7") == [401] * (ACCOUNT_LIMIT - 1)


def test_counters_are_shared_between_instances(app, tmp_path, citizen):
    """Two app instances on one database (as several servers would be) share the counters."""
    other = create_app(
        {
            "INSTANCE_PATH": app.instance_path,
            "ISSUER": app.config["ISSUER"],
            "TESTING": True,
            **{key: app.config[key] for key in ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "LOGIN_THROTTLE_WINDOW")},
        }
    )
    fail(app.test_client(), citizen, ACCOUNT_LIMIT - 1)
    assert fail(other.test_client(), citizen, 1) == [429]
    assert sign_in(app.test_client(), citizen, PASSWORD).status_code == 429


def test_no_username_is_stored_in_clear(app, client, citizen):
    fail(client, citizen, 1)
    with app.app_context():
        keys = db.session.scalars(db.select(LoginThrottle.key)).all()
    assert sorted(key.split(":")[0] for key in keys) == ["account", "ip"]
    assert not any(citizen in key for key in keys)


def test_a_hash_made_with_older_argon2_parameters_is_redone_at_sign_in(app, client, citizen):
    """argon2-cffi's 64 MiB default, as earlier versions stored it, becomes the current profile."""
    from argon2 import PasswordHasher

    from idp.citizens.passwords import needs_rehash
    from idp.models import User

    older = PasswordHasher().hash(PASSWORD)
    with app.app_context():
        db.session.execute(update(User).where(User.username == citizen).values(password_hash=older))
        db.session.commit()
    assert sign_in(client, citizen, PASSWORD).status_code == 303
    with app.app_context():
        stored = db.session.scalar(db.select(User.password_hash).where(User.username == citizen))
    assert stored != older and not needs_rehash(stored)
    assert "m=19456,t=2,p=1" in stored
    client.get("/logout")
    assert sign_in(client, citizen, PASSWORD).status_code == 303
