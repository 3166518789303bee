"""private_key_jwt assertions (RFC 7523 §3): a bounded, integer ``exp``, and a ``jti`` kept
until then, so that no assertion can be replayed."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idp.clients.admin import ClientSettings, update_client
from idp.extensions import db
from idp.models import ClientAssertionJti
from idp.operations.purge import purge_expired
from tests.idp.oauth2.introspection.conftest import make_data_provider

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def provider(app):
    public = jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
    return make_data_provider(
        app, "dgfip", auth_method="private_key_jwt", jwks={"keys": [dict(public, kid="k1")]}
    )


def introspect(client, provider, **claims):
    now = int(time.time())
    body = {
        "iss": provider.client_id,
        "sub": provider.client_id,
        "aud": "http://127.0.0.1:5000/introspect",
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_hex(8),
        **claims,
    }
    assertion = jwt.encode(body, KEY, algorithm="ES256", headers={"kid": "k1"})
    form = {"token": "x", "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    return client.post("/introspect", data=form), body


def test_a_short_assertion_authenticates_once(client, provider):
    response, body = introspect(client, provider)
    assert response.status_code == 200
    replay, _ = introspect(client, provider, jti=body["jti"])
    assert replay.status_code == 401


def test_an_assertion_authenticates_once_even_when_the_clients_copy_was_outdated(app, client, provider):
    """At /introspect a client's copy is checked with the token's read, and the request
    answered again when the copy was outdated; not with an assertion, whose jti a second
    authentication would take for a replay (idp.clients.lookup.confirmed_with_next_read)."""
    assert introspect(client, provider)[0].status_code == 200  # the copy is made
    with app.app_context():
        update_client(provider.client_id, ClientSettings(name="Fournisseur renommé"))  # outdated
    response, _ = introspect(client, provider)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    "exp",
    [
        lambda now: now + 3600,
        lambda now: 10**20,
        lambda now: now + 60.5,
        lambda now: str(now + 60),
        lambda now: True,
    ],
    ids=["an hour ahead", "1e20", "a float", "a string", "a boolean"],
)
def test_a_long_lived_or_malformed_exp_is_refused(client, provider, exp):
    response, _ = introspect(client, provider, exp=exp(int(time.time())))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_the_jti_is_kept_until_the_assertion_expires_and_survives_the_purge(app, client, provider):
    response, body = introspect(client, provider, exp=int(time.time()) + 240)
    assert response.status_code == 200
    with app.app_context():
        row = db.session.get(ClientAssertionJti, (provider.client_id, body["jti"]))
        assert row.expires_at >= datetime.fromtimestamp(body["exp"], UTC)
        purge_expired(grace=timedelta(0))
        assert db.session.get(ClientAssertionJti, (provider.client_id, body["jti"])) is not None
    replay, _ = introspect(client, provider, jti=body["jti"], exp=body["exp"])
    assert replay.status_code == 401


def test_the_longest_lifetime_is_a_setting(app, client, provider):
    app.config["CLIENT_ASSERTION_MAX_SECONDS"] = 30
    response, _ = introspect(client, provider, exp=int(time.time()) + 120)
    assert response.status_code == 401
