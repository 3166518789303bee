"""Key rotation as every worker sees it (keys picked up without restart, JWKS lifetime)."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from idp import signing
from idp.models import utcnow
from tests.idp.conftest import CodeFlow


@pytest.fixture
def app_settings():
    return {"KEYS_CACHE_SECONDS": 1}


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
