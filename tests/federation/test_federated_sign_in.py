"""Signing in through identity providers (issue 14), over HTTP against real servers: a hub
(``idp serve``), an upstream ``idp serve``, and panva/oidc-provider; the service is played by
openid-client (a certified relying party) or by plain requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.federation.citizen import Citizen
from tests.federation.conftest import (
    SP_REDIRECT,
    SP_SCOPE,
    authorization,
    callback_params,
    reached_service,
    redeem,
)
from tests.federation.peers import start_upstream, strict_rp

pytestmark = pytest.mark.e2e


def sign_in(world, service, provider: str, login: str = "marie.dupont", **extra) -> dict:
    """A citizen signs in to ``service`` through ``provider``; the service's tokens."""
    request = authorization(world, service, **extra)
    citizen = Citizen(login)
    response = citizen.visit(request.url, reached_service, choose=provider)
    assert reached_service(response), response.text[:2000]
    params = callback_params(response)
    assert params["state"] == request.state and params["iss"] == world.hub.url
    return redeem(world, service, request, params["code"])


def userinfo(world, tokens: dict) -> dict:
    response = requests.get(
        f"{world.hub.url}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_strict_relying_party_runs_the_whole_exchange_through_panva(world):
    """Acceptance: openid-client at the service, panva upstream, and a data provider that
    introspects the token: what works with local accounts works through federation."""
    service = world.service("--allowed-scopes", f"{SP_SCOPE} dgfip_rfr")
    rp = {
        "issuer": world.hub.url,
        "client_id": service["client_id"],
        "client_secret": service["client_secret"],
        "redirect_uri": SP_REDIRECT,
        "scope": f"{SP_SCOPE} dgfip_rfr",
    }
    started = strict_rp("start", **rp)
    response = Citizen().visit(started["url"], reached_service, choose="panva")
    assert reached_service(response), response.text[:2000]
    finished = strict_rp("finish", **rp, **started, callback_url=response.headers["Location"])
    claims = finished["claims"]
    assert claims["iss"] == world.hub.url and claims["aud"] == service["client_id"]
    assert claims["acr"] == "eidas2"  # what panva asserted (the service asked for eidas1)
    assert finished["userinfo"]["family_name"] == "Dupont"
    assert finished["userinfo"]["sub"] == claims["sub"]

    demo_dp = json.loads((Path(world.hub.env["IDP_INSTANCE_PATH"]) / "demo_data_provider.json").read_text())
    introspection = requests.post(
        f"{world.hub.url}/introspect",
        data={"token": finished["access_token"], **demo_dp},  # seed-demo registers it client_secret_post
        headers={"Accept": "application/json"},
        timeout=10,
    ).json()
    assert introspection["active"] is True
    assert introspection["scope"].split() == ["dgfip_rfr"]
    assert introspection["client_id"] == service["client_id"]


@pytest.mark.parametrize("provider", ["local", "idp-amont", "panva"])
def test_a_full_flow_through_each_provider(world, provider):
    service = world.service()
    tokens = sign_in(world, service, provider)
    assert userinfo(world, tokens)["given_name"] == "Marie Claire"


def test_the_same_person_gets_the_same_sub_whichever_provider(world):
    """FranceConnect's sub: from the pivot identity's hash and the service's sector, not from
    the provider (``computeIdentityHash`` then ``computeSubV1``)."""
    service = world.service()
    subs = {provider: userinfo(world, sign_in(world, service, provider))["sub"] for provider in
            ("local", "idp-amont", "panva")}  # fmt: skip
    assert len(set(subs.values())) == 1, subs
    other = world.service()
    assert userinfo(world, sign_in(world, other, "panva"))["sub"] != subs["panva"]  # pairwise


def test_a_consent_holds_whichever_provider_the_citizen_signs_in_with(world):
    service = world.service()
    sign_in(world, service, "panva")  # consents on the hub
    request = authorization(world, service)
    citizen = Citizen()
    response = citizen.visit(request.url, reached_service, choose="idp-amont")
    assert reached_service(response)
    hub_pages = [page for page in citizen.pages if page.url.startswith(world.hub.url)]
    assert [page for page in hub_pages if 'name="decision"' in page.text] == []


def test_a_signed_userinfo_is_verified(world, tmp_path):
    """OIDC Core §5.3.2: the provider answers userinfo as a JWT (``application/jwt``)."""
    signed = start_upstream(
        tmp_path, world.hub.url, "panva-jwt", world.panva_accounts,
        client_metadata={"userinfo_signed_response_alg": "RS256"},
    )  # fmt: skip
    try:
        world.register_panva_like("panva-jwt", signed, "eidas1", "eidas2")
        assert userinfo(world, sign_in(world, world.service(), "panva-jwt"))["family_name"] == "Dupont"
    finally:
        signed.stop()
        world.hub.idp("identity-providers", "delete", "panva-jwt")


def test_a_provider_rotating_its_keys_is_followed(world, tmp_path):
    """An ID token signed with a key the hub has not seen yet: its JWKS is fetched again
    once for that ``kid``, and the sign-in goes through."""
    first = start_upstream(tmp_path, world.hub.url, "panva-rotation", world.panva_accounts)
    port = int(first.url.rsplit(":", 1)[1])
    try:
        world.register_panva_like("panva-rotation", first, "eidas1", "eidas2")
        service = world.service()
        before = userinfo(world, sign_in(world, service, "panva-rotation"))["sub"]
        first.stop()
        rotated = start_upstream(tmp_path, world.hub.url, "panva-rotation", world.panva_accounts, port=port)
        try:
            assert userinfo(world, sign_in(world, service, "panva-rotation"))["sub"] == before
        finally:
            rotated.stop()
    finally:
        first.stop()
        world.hub.idp("identity-providers", "delete", "panva-rotation")
