"""Our access tokens validate as RFC 9068 JWTs with an independent library (PyJWT)."""

from __future__ import annotations

import jwt
import pytest

from idp.extensions import db
from idp.models import AccessTokenRecord
from tests.idp.conftest import IDENTITY_SCOPES
from tests.idp.oauth2.introspection.conftest import DATA_SCOPE, jwks_keys, make_data_provider, withdraw_scopes

ISSUER = "http://127.0.0.1:5000"
REQUIRED = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"]


def validate_rfc9068(client, token: str, audience: str) -> dict:
    """RFC 9068 §4, step by step, as a resource server would do it."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] in ("at+jwt", "application/at+jwt")  # §4 item 1 (checked via the header)
    assert header["alg"] == "ES256"  # §4 item 5: never "none"; asymmetric
    key = jwks_keys(client)[header["kid"]]
    return jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["ES256"],
        issuer=ISSUER,  # §4 item 3
        audience=audience,  # §4 item 4
        options={"require": REQUIRED},  # §2.2
    )


def test_user_token_for_a_data_scope(app, client, dgfip, tokens, service_provider):
    claims = validate_rfc9068(client, tokens["access_token"], audience=dgfip.client_id)
    assert claims["aud"] == dgfip.client_id  # §3: the data provider owning dgfip_rfr
    assert claims["client_id"] == service_provider.client_id
    assert claims["scope"] == DATA_SCOPE
    assert claims["exp"] - claims["iat"] == 60 == tokens["expires_in"]  # FranceConnect's 60 s
    assert claims["acr"] == "eidas1"
    assert isinstance(claims["auth_time"], int)
    assert claims["sub"].endswith("v1") and len(claims["sub"]) == 66  # pairwise (OIDC Core §8.1)


def test_identity_only_token_is_audienced_to_the_issuer(client, flow):
    token = flow.tokens(scope=IDENTITY_SCOPES)["access_token"]
    assert validate_rfc9068(client, token, audience=ISSUER)["aud"] == ISSUER


def test_two_data_providers_are_both_in_aud(app, client, dgfip, cnaf, service_provider, flow):
    withdraw_scopes(app, service_provider, DATA_SCOPE + " cnaf_quotient_familial")
    token = flow.tokens(scope=DATA_SCOPE + " cnaf_quotient_familial")["access_token"]
    claims = validate_rfc9068(client, token, audience=cnaf.client_id)
    assert sorted(claims["aud"]) == sorted([dgfip.client_id, cnaf.client_id])


def test_client_credentials_token_has_the_client_as_subject(app, client):
    dp = make_data_provider(app, "dgfip")
    response = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "registry_write"},
        auth=(dp.client_id, dp.client_secret),
    )
    claims = validate_rfc9068(client, response.get_json()["access_token"], audience=ISSUER)
    assert claims["sub"] == claims["client_id"] == dp.client_id  # §2.2 "sub" without a resource owner
    assert "auth_time" not in claims and "acr" not in claims


def test_the_server_keeps_the_jti_never_the_token(app, tokens):
    token = tokens["access_token"]
    with app.app_context():
        record = db.session.scalars(db.select(AccessTokenRecord)).one()
        stored = [str(getattr(record, column.key)) for column in AccessTokenRecord.__table__.columns]
    assert record.jti == jwt.decode(token, options={"verify_signature": False})["jti"]
    assert not any(token in value or token.split(".")[2] in value for value in stored)


@pytest.mark.parametrize("app_settings", [{"ACCESS_TOKEN_LIFETIME": 120}])
def test_lifetime_is_configurable(client, tokens, app_settings):
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120 == tokens["expires_in"]
