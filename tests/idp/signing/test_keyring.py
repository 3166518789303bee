"""Key rotation as every worker sees it (keys picked up without restart, JWKS lifetime)."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from idp import signing
from idp.extensions import db
from idp.models import SigningKey, utcnow
from tests.idp.conftest import CodeFlow


@pytest.fixture
def app_settings():
    return {"KEYS_CACHE_SECONDS": 1}


def published_for(app, delay: timedelta) -> None:
    """Make every stored key ``delay`` older, as if it had been published that long."""
    with app.app_context():
        for row in db.session.scalars(db.select(SigningKey)):
            row.created_at -= delay
        db.session.commit()


def published_kids(client) -> set[str]:
    return {key["kid"] for key in client.get("/jwks").get_json()["keys"]}


def verify_with_jwks(client, token: str) -> dict:
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in client.get("/jwks").get_json()["keys"] if k["kid"] == kid)
    return jwt.decode(token, jwt.PyJWK(key).key, algorithms=[key["alg"]], options={"verify_aud": False})


def test_jwks_has_public_material_only(client):
    for key in client.get("/jwks").get_json()["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
        assert key["use"] == "sig"


def test_rotation_keeps_old_tokens_verifiable_and_signs_with_the_new_key(app, flow: CodeFlow, runner):
    before = flow.tokens()
    old_kid = jwt.get_unverified_header(before["id_token"])["kid"]
    with app.app_context():
        next_kids = {r.kid for r in signing.load_records() if r.state.value == "next"}
    assert next_kids <= published_kids(flow.http)  # published before use
    published_for(app, timedelta(minutes=5))

    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    time.sleep(1.1)  # the worker's key cache (KEYS_CACHE_SECONDS) expires; no restart

    after = flow.tokens()
    new_kid = jwt.get_unverified_header(after["id_token"])["kid"]
    assert new_kid != old_kid
    assert new_kid in next_kids
    assert old_kid in published_kids(flow.http)
    verify_with_jwks(flow.http, before["id_token"])
    verify_with_jwks(flow.http, after["id_token"])


def test_retired_key_leaves_jwks_only_after_its_tokens_expired(app, runner, client):
    published_for(app, timedelta(minutes=5))
    with app.app_context():
        old_active = {r.alg: r.kid for r in signing.load_records() if r.state.value == "active"}
        signing.rotate()
        lifetime = signing.max_token_lifetime()
    time.sleep(1.1)
    assert set(old_active.values()) <= published_kids(client)
    with app.app_context():
        later = utcnow() + lifetime + timedelta(seconds=1)
        signing.rotate(now=later)  # the next rotation prunes what nobody can need
    time.sleep(1.1)
    kids = published_kids(client)
    assert not set(old_active.values()) & kids


def test_keys_cli(runner):
    listing = runner.invoke(args=["keys", "list", "--json"])
    assert listing.exit_code == 0
    assert "active" in listing.output
    bad = runner.invoke(args=["keys", "retire", "no-such-kid"])
    assert bad.exit_code != 0
    assert "no-such-kid" in bad.output


def test_a_next_key_published_moments_ago_does_not_sign_yet(app, runner):
    """A key signs only once every cache holds it: the workers' (KEYS_CACHE_SECONDS) and a
    relying party's copy of /jwks (its max-age)."""
    with app.app_context():
        for row in db.session.scalars(db.select(SigningKey).where(SigningKey.state == "next")):
            row.created_at = utcnow()  # published just now
        db.session.commit()
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1
    assert "not published long enough" in result.output
    assert "Traceback" not in result.output


def test_retiring_the_active_key_then_rotating_never_signs_with_an_unpublished_key(app, runner, client):
    published_for(app, timedelta(minutes=5))
    with app.app_context():
        active = next(r.kid for r in signing.load_records() if r.state.value == "active" and r.alg == "ES256")
    assert runner.invoke(args=["keys", "retire", "--", active]).exit_code == 0
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0  # ES256 only gets a NEXT key
    time.sleep(1.1)
    with app.app_context():
        for record in signing.load_records():
            if record.state.value == "active":
                assert record.kid in published_kids(client)
                assert utcnow() - record.created_at >= signing.publication_delay()


def test_a_wrong_passphrase_changes_nothing(app, runner, monkeypatch):
    published_for(app, timedelta(minutes=5))
    with app.app_context():
        before = [(r.kid, r.state) for r in signing.load_records()]
    app.config["KEYS_PASSPHRASE"] = "not-the-passphrase-of-these-keys"
    for command in (["keys", "rotate"], ["keys", "retire", "--", before[0][0]]):
        result = runner.invoke(args=command)
        assert result.exit_code == 1
        assert "IDP_KEYS_PASSPHRASE does not decrypt" in result.output
        assert "Traceback" not in result.output
    with app.app_context():
        assert [(r.kid, r.state) for r in signing.load_records()] == before


def test_serve_refuses_to_start_with_keys_it_cannot_decrypt(app, runner):
    app.config["KEYS_PASSPHRASE"] = "not-the-passphrase-of-these-keys"
    result = runner.invoke(args=["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "IDP_KEYS_PASSPHRASE does not decrypt" in result.output
    assert "Traceback" not in result.output
