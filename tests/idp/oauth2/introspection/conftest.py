"""Data providers and tokens for the introspection, checktoken and revocation tests."""

from __future__ import annotations

import time

import jwt
import pytest

from idp import signing
from idp.clients.admin import ClientSettings, update_client
from idp.extensions import db
from idp.models import AccessTokenRecord
from idp.oauth2.tokens import ACCESS_TOKEN_TYP
from tests.idp.conftest import IDENTITY_SCOPES, ServiceProvider, make_client

DATA_SCOPE = IDENTITY_SCOPES + " dgfip_rfr"


def make_data_provider(app, namespace: str, **overrides) -> ServiceProvider:
    settings = {
        "name": f"Fournisseur {namespace}",
        "role": "data-provider",
        "namespace": namespace,
        "redirect_uris": [],
        "post_logout_redirect_uris": [],
        "operator_scope_override": [],
        "auth_method": "client_secret_basic",
    }
    settings.update(overrides)
    return make_client(app, **settings)


@pytest.fixture
def dgfip(app) -> ServiceProvider:
    """The DGFiP data provider (owns dgfip_*), registered with client_secret_basic."""
    return make_data_provider(app, "dgfip")


@pytest.fixture
def cnaf(app) -> ServiceProvider:
    return make_data_provider(app, "cnaf", auth_method="client_secret_post")


@pytest.fixture
def tokens(dgfip, flow) -> dict:
    """A token response for identity scopes plus dgfip_rfr (the DGFiP exists first: it is the aud)."""
    return flow.tokens(scope=DATA_SCOPE)


@pytest.fixture
def access_token(tokens) -> str:
    return tokens["access_token"]


def unverified_claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def withdraw_scopes(app, sp: ServiceProvider, remaining: str) -> None:
    """Set the service provider's allowed scopes (shrinking them is what a revoked habilitation does)."""
    with app.app_context():
        update_client(sp.client_id, ClientSettings(operator_scope_override=remaining.split()))


def mutate_record(app, token: str, **values) -> None:
    with app.app_context():
        record = db.session.get(AccessTokenRecord, unverified_claims(token)["jti"])
        for name, value in values.items():
            setattr(record, name, value)
        db.session.commit()


def resign(app, token: str, **claims) -> str:
    """The same token re-signed by our active key with some claims changed (or removed: None)."""
    payload = unverified_claims(token)
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    with app.app_context():
        return signing.keyring().sign(payload, alg="ES256", typ=ACCESS_TOKEN_TYP)


def expired(app, token: str) -> str:
    now = int(time.time())
    return resign(app, token, iat=now - 120, exp=now - 60)


def jwks_keys(client) -> dict:
    return {key["kid"]: key for key in client.get("/jwks").get_json()["keys"]}


def verify_with_jwks(client, token: str, *, typ: str, audience: str) -> dict:
    """Verify a JWT as a third party would: key by kid from /jwks, typ from the header."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == typ
    key = jwks_keys(client)[header["kid"]]
    return jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=[key["alg"]],
        audience=audience,
        issuer="http://127.0.0.1:5000",
        options={"require": ["iss", "aud", "iat"]},
    )
