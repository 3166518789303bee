"""Resource indicators at /token (RFC 8707): a token for one data provider tells it nothing
about another provider, nor the service's own ``sub`` (DESIGN, "Privacy")."""

from __future__ import annotations

import pytest

from tests.idp.conftest import IDENTITY_SCOPES, CodeFlow, make_client
from tests.idp.oauth2.introspection.conftest import make_data_provider, unverified_claims

DGFIP_API = "https://api.dgfip.example.fr/impot-particulier"
CNAF_API = "https://api.cnaf.example.fr/quotient-familial"
SCOPE = f"{IDENTITY_SCOPES} dgfip_rfr cnaf_quotient_familial offline_access"


@pytest.fixture
def dgfip(app):
    return make_data_provider(app, "dgfip", resource_uri=DGFIP_API)


@pytest.fixture
def cnaf(app):
    return make_data_provider(app, "cnaf", resource_uri=CNAF_API)


@pytest.fixture
def flow(app, client, citizen, dgfip, cnaf) -> CodeFlow:
    return CodeFlow(client, make_client(app, operator_scope_override=SCOPE.split()))


def introspect(client, provider, token: str) -> dict:
    response = client.post(
        "/introspect", data={"token": token}, auth=(provider.client_id, provider.client_secret)
    )
    assert response.status_code == 200
    return response.get_json()


def refresh(flow: CodeFlow, refresh_token: str, **extra):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return flow.http.post("/token", data=data, auth=(flow.sp.client_id, flow.sp.client_secret))


def test_a_token_for_one_data_provider_carries_only_its_own(client, flow, dgfip, cnaf):
    response = flow.exchange(flow.code(scope=SCOPE), resource=DGFIP_API)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    claims = unverified_claims(body["access_token"])
    assert claims["aud"] == dgfip.client_id
    assert claims["scope"] == body["scope"] == "dgfip_rfr"
    seen = introspect(client, dgfip, body["access_token"])
    assert seen["active"] is True and seen["scope"] == "dgfip_rfr"
    assert claims["sub"] == seen["sub"]  # the data provider's own pairwise sub
    assert (
        claims["sub"] != unverified_claims(flow.tokens(scope=SCOPE)["access_token"])["sub"]
    )  # not the service's
    assert introspect(client, cnaf, body["access_token"]) == {"active": False}


def test_the_refresh_token_mints_the_token_for_the_next_provider(client, flow, dgfip, cnaf):
    first = flow.exchange(flow.code(scope=SCOPE), resource=DGFIP_API).get_json()
    second = refresh(flow, first["refresh_token"], resource=CNAF_API)
    assert second.status_code == 200, second.get_json()
    body = second.get_json()
    claims = unverified_claims(body["access_token"])
    assert claims["aud"] == cnaf.client_id and claims["scope"] == "cnaf_quotient_familial"
    assert introspect(client, dgfip, body["access_token"]) == {"active": False}
    third = refresh(flow, body["refresh_token"])  # the grant kept its whole scope
    assert set(third.get_json()["scope"].split()) == set(SCOPE.split())


def test_without_resource_the_token_is_as_before(flow, dgfip, cnaf):
    claims = unverified_claims(flow.tokens(scope=SCOPE)["access_token"])
    assert set(claims["aud"]) == {dgfip.client_id, cnaf.client_id}


@pytest.mark.parametrize(
    ("resource", "problem"),
    [
        ("https://api.unknown.example.fr/", "no data provider"),
        (DGFIP_API + "#fragment", "without fragment"),
        ("not a uri", "absolute URI"),
        ("https://" + "a" * 3000 + ".fr/", "absolute URI"),
    ],
)
def test_a_resource_that_is_not_a_data_provider_is_invalid_target(flow, resource, problem):
    response = flow.exchange(flow.code(scope=SCOPE), resource=resource)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_target"
    assert problem in response.get_json()["error_description"]


def test_a_provider_none_of_whose_scopes_were_granted_is_invalid_target(flow):
    response = flow.exchange(flow.code(scope=f"{IDENTITY_SCOPES} dgfip_rfr"), resource=CNAF_API)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_target"
