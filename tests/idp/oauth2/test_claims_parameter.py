"""The ``claims`` request parameter (OIDC Core §5.5) as FranceConnect uses it: ``amr`` only
when asked for and allowed, an essential ``acr`` raising the level asked."""

from __future__ import annotations

import json

import pytest

from tests.idp.conftest import IDENTITY_SCOPES, CodeFlow, make_client, query_of
from tests.idp.oauth2.test_id_token_userinfo_logout import verify

AMR_IN_ID_TOKEN = json.dumps({"id_token": {"amr": {"essential": True}}})


@pytest.fixture
def amr_service(app):
    """A service allowed the ``amr`` scope (FranceConnect's ``claims: ["amr"]``)."""
    return make_client(app, operator_scope_override=[*IDENTITY_SCOPES.split(), "amr"])


def id_token_claims(flow: CodeFlow, **extra) -> dict:
    tokens = flow.tokens(**extra)
    return verify(flow.http, tokens["id_token"], audience=flow.sp.client_id)


@pytest.mark.parametrize(
    "request_extra",
    [
        {"claims": AMR_IN_ID_TOKEN},
        {"claims": '{"userinfo": {"amr": null}}'},
        {"scope": f"{IDENTITY_SCOPES} amr"},
    ],
    ids=["claims-id-token", "claims-userinfo", "scope"],
)
def test_amr_is_released_when_asked_for(client, citizen, amr_service, request_extra):
    claims = id_token_claims(CodeFlow(client, amr_service), **request_extra)
    assert claims["amr"] == ["pwd"]


def test_amr_is_not_released_unasked_even_to_a_service_allowed_it(client, citizen, amr_service):
    """ "claim AMR absent si non demandé" (FranceConnect's connexion-claims.feature)."""
    assert "amr" not in id_token_claims(CodeFlow(client, amr_service))


def test_a_service_not_allowed_amr_cannot_ask_for_it(flow: CodeFlow):
    response = flow.http.get("/authorize", query_string=flow.authorize_params(claims=AMR_IN_ID_TOKEN))
    params = query_of(response.headers["Location"])
    assert params["error"] == "invalid_request"
    assert "amr" in params["error_description"]


def test_claims_for_unknown_names_are_ignored(flow: CodeFlow):
    """OIDC Core §5.5: a claim the provider does not know is not an error."""
    claims = id_token_claims(flow, claims=json.dumps({"id_token": {"favourite_colour": None}}))
    assert "favourite_colour" not in claims


def test_an_essential_acr_the_service_can_reach_is_honoured(flow: CodeFlow):
    request = json.dumps({"id_token": {"acr": {"essential": True, "values": ["eidas1", "eidas9"]}}})
    assert id_token_claims(flow, claims=request)["acr"] == "eidas1"


def test_a_voluntary_acr_does_not_raise_the_level(flow: CodeFlow):
    """Only an essential ``acr`` is a requirement (OIDC Core §5.5.1.1)."""
    request = json.dumps({"id_token": {"acr": {"values": ["eidas3"]}}})
    assert id_token_claims(flow, claims=request)["acr"] == "eidas1"
