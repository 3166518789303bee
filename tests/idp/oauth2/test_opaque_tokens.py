"""``IDP_ACCESS_TOKEN_FORMAT=opaque``: random references, as FranceConnect's access tokens
are. The token says nothing to whoever holds it; everything it grants is learnt from the
server, which answers for it exactly as for a JWT."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import AccessTokenRecord
from idp.oauth2.tokens import opaque_reference
from tests.idp.conftest import IDENTITY_SCOPES, CodeFlow
from tests.idp.oauth2.introspection.conftest import make_data_provider

SCOPE = f"{IDENTITY_SCOPES} dgfip_rfr"


@pytest.fixture
def app_settings() -> dict:
    return {"ACCESS_TOKEN_FORMAT": "opaque"}


@pytest.fixture
def dgfip(app):
    return make_data_provider(app, "dgfip")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_the_token_is_a_random_reference_and_the_record_is_keyed_by_its_hash(app, flow: CodeFlow, dgfip):
    token = flow.tokens(scope=SCOPE)["access_token"]
    assert "." not in token and len(token) >= 43  # 256 bits, base64url: no claims to read
    with app.app_context():
        record = db.session.get(AccessTokenRecord, opaque_reference(token))
        assert record is not None and record.scope == SCOPE
        assert db.session.get(AccessTokenRecord, token) is None  # the token itself is not stored


def test_userinfo_introspection_and_checktoken_answer_as_for_a_jwt(client, flow: CodeFlow, dgfip):
    token = flow.tokens(scope=SCOPE)["access_token"]
    info = client.get("/userinfo", headers=bearer(token)).get_json()
    assert info["given_name"] == "Camille Anne"
    seen = client.post("/introspect", data={"token": token}, auth=(dgfip.client_id, dgfip.client_secret))
    body = seen.get_json()
    assert body["active"] is True and body["scope"] == "dgfip_rfr"
    assert body["aud"] == dgfip.client_id and body["client_id"] == flow.sp.client_id
    assert body["family_name"] == "Durand"
    checked = client.post(
        "/checktoken",
        data={"token": token, "client_id": dgfip.client_id, "client_secret": dgfip.client_secret},
    )
    assert checked.status_code == 200


def test_revocation_ends_it(client, flow: CodeFlow, dgfip):
    token = flow.tokens(scope=SCOPE)["access_token"]
    revoked = client.post("/revoke", data={"token": token}, auth=(flow.sp.client_id, flow.sp.client_secret))
    assert revoked.status_code == 200
    assert client.get("/userinfo", headers=bearer(token)).status_code == 401
    seen = client.post("/introspect", data={"token": token}, auth=(dgfip.client_id, dgfip.client_secret))
    assert seen.get_json() == {"active": False}


def test_a_machine_token_is_recorded_too(app, client, flow: CodeFlow, dgfip):
    """A client_credentials JWT needs no record; an opaque one has nothing else."""
    response = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
        auth=(flow.sp.client_id, flow.sp.client_secret),
    )
    token = response.get_json()["access_token"]
    seen = client.post("/introspect", data={"token": token}, auth=(dgfip.client_id, dgfip.client_secret))
    assert seen.get_json()["active"] is True and seen.get_json()["sub"] == flow.sp.client_id
    with app.app_context():
        assert db.session.get(AccessTokenRecord, opaque_reference(token)).user_id is None


@pytest.mark.parametrize("token", ["x" * 43, "", "a" * 5000, "\x00" * 10])
def test_an_unknown_reference_is_inactive(client, citizen, dgfip, token):
    seen = client.post("/introspect", data={"token": token}, auth=(dgfip.client_id, dgfip.client_secret))
    assert seen.status_code in (200, 400)
    assert seen.get_json().get("active") in (False, None)
    assert client.get("/userinfo", headers=bearer(token or "-")).status_code in (400, 401)
