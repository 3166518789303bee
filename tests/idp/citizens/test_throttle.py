"""Sign-in throttling (idp.citizens.throttle): guessing is slowed, the citizen is never locked
out. Holds per (account, address) and per address, shared by every instance (the counters
live in the database), with a 429, a Retry-After (RFC 9110 §10.2.3) and a message saying
when to retry; friction on an account under attack; a known device passes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from idp.extensions import db
from idp.models import LoginThrottle, utcnow
from tests.idp.conftest import PASSWORD, csrf_token

PAIR_LIMIT = 3
IP_LIMIT = 6
FRICTION_AFTER = 5
FRICTION_SECONDS = 10
WINDOW = 600
HERE, THERE, ELSEWHERE = "192.0.2.1", "198.51.100.7", "203.0.113.9"


@pytest.fixture
def app_settings() -> dict:
    return {
        "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP": PAIR_LIMIT,
        "LOGIN_MAX_FAILURES_PER_IP": IP_LIMIT,
        "LOGIN_ACCOUNT_FRICTION_FAILURES": FRICTION_AFTER,
        "LOGIN_FRICTION_SECONDS": FRICTION_SECONDS,
        "LOGIN_THROTTLE_WINDOW": WINDOW,
    }


def sign_in(http, username: str, password: str, ip: str = HERE, headers: dict | None = None):
    environ = {"REMOTE_ADDR": ip}
    page = http.get("/login", environ_base=environ, headers=headers).get_data(as_text=True)
    return http.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
        environ_base=environ,
        headers=headers,
    )


def fail(http, username: str, times: int, ip: str = HERE) -> list[int]:
    return [sign_in(http, username, "wrong password", ip).status_code for _ in range(times)]


def test_an_account_is_held_from_the_guessing_address_even_with_the_right_password(client, citizen):
    assert fail(client, citizen, PAIR_LIMIT) == [401] * (PAIR_LIMIT - 1) + [429]
    held = sign_in(client, citizen, PASSWORD)
    assert held.status_code == 429
    assert 0 < int(held.headers["Retry-After"]) <= WINDOW
    html = held.get_data(as_text=True)
    assert 'role="alert"' in html
    assert "Trop de tentatives de connexion." in html
    assert "Vous pourrez réessayer dans 10 minutes." in html
    assert client.get("/account").status_code == 303  # not signed in


def test_held_message_in_english(client, citizen):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    fail(client, citizen, PAIR_LIMIT)
    html = sign_in(client, citizen, PASSWORD).get_data(as_text=True)
    assert "Too many sign-in attempts." in html
    assert "You may try again in 10 minutes." in html


def test_ten_failures_from_one_address_and_the_citizen_signs_in_from_another(app, citizen):
    """The issue's attack: an attacker who knows the username cannot lock its owner out."""
    attacker, owner = app.test_client(), app.test_client()
    assert fail(attacker, citizen, 10)[-1] == 429
    assert sign_in(owner, citizen, PASSWORD, ip=THERE).status_code == 303


def test_the_hold_ends_after_the_window(app, client, citizen):
    fail(client, citizen, PAIR_LIMIT)
    with app.app_context():
        past = utcnow() - timedelta(seconds=1)
        db.session.execute(
            update(LoginThrottle).values(locked_until=past, window_start=past - timedelta(seconds=WINDOW))
        )
        db.session.commit()
    assert sign_in(client, citizen, PASSWORD).status_code == 303


def test_the_account_counter_is_case_insensitive(client, citizen):
    fail(client, citizen.upper(), PAIR_LIMIT)
    assert sign_in(client, citizen, PASSWORD).status_code == 429


def test_an_address_is_held_across_accounts(client, citizen):
    for index in range(IP_LIMIT - 1):
        assert fail(client, f"unknown{index}", 1) == [401]
    assert fail(client, "another-unknown", 1) == [429]
    # the right password from that address waits too; another address is not affected
    assert sign_in(client, citizen, PASSWORD).status_code == 429
    assert sign_in(client, citizen, PASSWORD, ip=THERE).status_code == 303


def test_an_account_under_attack_gets_a_short_delay_per_address_not_a_lock(app, citizen):
    """Spread over many addresses, guessing meets friction: past the account-wide count, each
    failure holds its (account, address) for FRICTION_SECONDS. The owner is never refused for
    long, and the right password works from an address that did not just fail."""
    attacker = app.test_client()
    for index in range(FRICTION_AFTER):
        assert fail(attacker, citizen, 1, ip=f"10.0.0.{index}") == [401]
    delayed = sign_in(attacker, citizen, "wrong password", ip="10.0.1.1")
    assert delayed.status_code == 429
    assert 0 < int(delayed.headers["Retry-After"]) <= FRICTION_SECONDS
    assert "secondes" in delayed.get_data(as_text=True)
    assert sign_in(app.test_client(), citizen, PASSWORD, ip=ELSEWHERE).status_code == 303


def test_a_known_device_signs_in_even_from_an_attacked_address(app, citizen):
    """Behind one address (a NAT), the attacker's failures do not stop a browser that signed
    in to the account before: it carries the signed device cookie."""
    owner = app.test_client()
    assert sign_in(owner, citizen, PASSWORD).status_code == 303
    owner.get("/logout")
    attacker = app.test_client()
    assert fail(attacker, citizen, IP_LIMIT)[-1] == 429  # the address and the pair are held
    assert sign_in(owner, citizen, PASSWORD).status_code == 303


def test_a_forged_device_cookie_is_worth_nothing(app, client, citizen):
    fail(client, citizen, PAIR_LIMIT)
    client.set_cookie("idp_device", "eyJpZCI6IngiLCJhY2NvdW50cyI6W119.forged")
    assert sign_in(client, citizen, PASSWORD).status_code == 429


def test_success_clears_only_its_own_pair(client, citizen):
    fail(client, citizen, PAIR_LIMIT - 1)
    assert sign_in(client, citizen, PASSWORD).status_code == 303
    assert fail(client, citizen, PAIR_LIMIT - 1, ip=THERE) == [401] * (PAIR_LIMIT - 1)


def test_counters_are_shared_between_instances(app, citizen, other_instances):
    """Two app instances on one database (as several servers would be) share the counters."""
    other = other_instances(
        {
            "INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "ISSUER": app.config["ISSUER"],
            "TESTING": True,
            **{
                key: app.config[key]
                for key in ("LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP", "LOGIN_THROTTLE_WINDOW")
            },
        }
    )
    fail(app.test_client(), citizen, PAIR_LIMIT - 1)
    assert fail(other.test_client(), citizen, 1) == [429]
    assert sign_in(app.test_client(), citizen, PASSWORD).status_code == 429


def test_no_username_is_stored_in_clear(app, client, citizen):
    fail(client, citizen, 1)
    with app.app_context():
        keys = db.session.scalars(db.select(LoginThrottle.key)).all()
    assert sorted(key.split(":")[0] for key in keys) == ["account", "ip", "pair"]
    assert not any(citizen in key for key in keys)


@pytest.mark.parametrize("username", ["marie\x00dupont", "\x07bell", "x" * 300])
def test_an_impossible_username_is_a_plain_failure(client, username):
    assert fail(client, username, 1) == [401]


class TestBehindAProxy:
    """Client addresses through IDP_TRUSTED_PROXIES (Werkzeug's ProxyFix)."""

    @pytest.fixture
    def app_settings(self) -> dict:
        return {"LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP": PAIR_LIMIT, "TRUSTED_PROXIES": 1}

    def test_the_forwarded_address_is_the_client(self, client, citizen):
        proxy = "127.0.0.1"
        attacker = {"X-Forwarded-For": HERE}
        for _ in range(PAIR_LIMIT):
            sign_in(client, citizen, "wrong password", ip=proxy, headers=attacker)
        assert sign_in(client, citizen, PASSWORD, ip=proxy, headers=attacker).status_code == 429
        owner = {"X-Forwarded-For": THERE}
        assert sign_in(client, citizen, PASSWORD, ip=proxy, headers=owner).status_code == 303


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, citizen):
    for index in range(PAIR_LIMIT):
        sign_in(client, citizen, "wrong password", headers={"X-Forwarded-For": f"10.9.9.{index}"})
    assert sign_in(client, citizen, PASSWORD, headers={"X-Forwarded-For": THERE}).status_code == 429


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
