"""What the hub refuses, and what it does when a provider fails (issue 14), over HTTP
against real servers: the citizen sees a clear page and the service gets nothing."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e_server import free_port
from tests.federation.citizen import Citizen
from tests.federation.conftest import (
    SP_LOGGED_OUT,
    authorization,
    callback_params,
    reached_service,
    redeem,
)
from tests.federation.peers import start_upstream

pytestmark = pytest.mark.e2e

START = re.compile(r'action="[^"]*/identity-providers/([a-z0-9-]+)/start')


def chooser_pages(citizen: Citizen) -> list[requests.Response]:
    return [page for page in citizen.pages if page.status_code == 200 and START.search(page.text)]


def offered_on(page: requests.Response) -> list[str]:
    return START.findall(page.text)


def test_idp_hint_skips_the_chooser(world):
    service = world.service()
    citizen = Citizen()
    response = citizen.visit(authorization(world, service, idp_hint="panva").url, reached_service)
    assert reached_service(response)
    assert chooser_pages(citizen) == []
    assert any(page.url.startswith(world.panva.url) for page in citizen.pages)


def test_an_unknown_hint_gets_the_chooser(world):
    citizen = Citizen()
    final = citizen.visit(authorization(world, world.service(), idp_hint="inconnu").url, reached_service)
    assert final.status_code == 200
    assert {"local", "idp-amont", "panva"} <= set(offered_on(final))


def test_a_hint_for_another_provider_than_the_only_one_is_an_error(world):
    service = world.service("--identity-providers", "panva")
    final = Citizen().visit(authorization(world, service, idp_hint="idp-amont").url, reached_service)
    assert final.status_code == 400
    assert "identity_provider_hint" in final.text


def test_the_service_filter_limits_the_providers_offered(world):
    service = world.service("--exclude-identity-providers", "panva")
    final = Citizen().visit(authorization(world, service).url, reached_service)
    assert set(offered_on(final)) == {"local", "idp-amont"}


def test_only_providers_reaching_the_services_level_are_offered(world):
    """The service requires eidas2: local and idp-amont (eidas1) are not offered; panva,
    the only one left, is gone to at once."""
    service = world.service("--eidas-level", "eidas2")
    citizen = Citizen()
    response = citizen.visit(authorization(world, service).url, reached_service)
    assert reached_service(response)
    assert chooser_pages(citizen) == []
    assert not any(urlsplit(page.url).path == "/login" for page in citizen.pages)
    final = Citizen().visit(authorization(world, service, acr_values="eidas3").url, reached_service)
    assert reached_service(final)  # no provider reaches eidas3: the service is told (OIDC Core §3.1.2.6)
    assert callback_params(final)["error"] == "invalid_acr"


def test_an_identity_asserted_below_the_level_asked_is_refused(world):
    """panva may reach eidas2, but this account authenticates at eidas1 only."""
    service = world.service("--eidas-level", "eidas2")
    final = Citizen("marie-faible").visit(authorization(world, service).url, reached_service)
    assert not reached_service(final)
    assert final.status_code == 400
    assert "identity_provider_acr_too_low" in final.text
    assert "Niveau de sécurité insuffisant" in final.text


@pytest.mark.parametrize("login", ["identite-invalide", "sans-courriel"])
def test_a_malformed_identity_gets_the_error_page(world, login):
    final = Citizen(login).visit(authorization(world, world.service()).url, reached_service, choose="panva")
    assert not reached_service(final)
    assert final.status_code == 400
    assert "Identité incomplète" in final.text and "identity_provider_identity" in final.text


def test_an_oversized_userinfo_is_not_read_past_the_limit(world):
    final = Citizen("identite-enorme").visit(
        authorization(world, world.service()).url, reached_service, choose="panva"
    )
    assert not reached_service(final)
    assert final.status_code == 502  # the provider failed, not the citizen's identity
    assert "identity_provider_userinfo" in final.text


@pytest.mark.parametrize("token_response", ["padded", "redirected"])
def test_a_token_response_too_large_or_redirected_is_refused(world, tmp_path, token_response):
    """The hub reads at most 64 KiB of the provider's token response, and does not follow a
    redirect with the code and its credentials (the provider would serve it if it did)."""
    name = f"panva-{token_response}"
    odd = start_upstream(tmp_path, world.hub.url, name, world.panva_accounts, token_response=token_response)
    try:
        world.register_panva_like(name, odd, "eidas1", "eidas2")
        final = Citizen().visit(authorization(world, world.service()).url, reached_service, choose=name)
    finally:
        odd.stop()
        world.hub.idp("identity-providers", "delete", name)
    assert not reached_service(final)
    assert final.status_code == 502
    assert "identity_provider_token" in final.text


def test_a_provider_signing_with_an_unknown_key_is_refused(world, tmp_path):
    accounts = world.panva_accounts
    rogue = start_upstream(tmp_path, world.hub.url, "panva-cles", accounts, publish_other_keys=True)
    try:
        world.register_panva_like("panva-cles", rogue, "eidas1", "eidas2")
        request = authorization(world, world.service())
        final = Citizen().visit(request.url, reached_service, choose="panva-cles")
    finally:
        rogue.stop()
        world.hub.idp("identity-providers", "delete", "panva-cles")
    assert not reached_service(final)
    assert final.status_code == 502
    assert "identity_provider_signature" in final.text


def test_a_provider_that_is_down_is_shown_unavailable(world):
    dead = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"
    world.hub.idp(
        "identity-providers", "add", "--name", "hors-service", "--title", "Compte hors service",
        "--discovery-url", dead, "--client-id", "hub", "--client-secret", "s" * 32,
    )  # fmt: skip
    try:
        citizen = Citizen()
        chooser = citizen.visit(authorization(world, world.service()).url, reached_service)
        assert chooser.status_code == 200
        assert "hors-service" not in offered_on(chooser)
        assert {"local", "idp-amont", "panva"} <= set(offered_on(chooser))
        assert "Compte hors service" in chooser.text and "momentanément indisponible" in chooser.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', chooser.text).group(1)
        started = citizen.browser.post(
            f"{world.hub.url}/identity-providers/hors-service/start", data={"csrf_token": token}, timeout=30
        )
        assert started.status_code == 503 and "identity_provider_unavailable" in started.text
    finally:
        world.hub.idp("identity-providers", "delete", "hors-service")


def panva_session_is_live(world, citizen: Citizen) -> bool:
    """Ask panva with ``prompt=none`` (OIDC Core §3.1.2.1) whether this browser is signed in."""
    query = {
        "response_type": "code",
        "client_id": world.panva.client_id,
        "redirect_uri": f"{world.hub.url}/identity-providers/panva/callback",
        "scope": "openid",
        "prompt": "none",
        "state": secrets.token_urlsafe(8),
        "code_challenge": create_s256_code_challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    response = citizen.browser.get(f"{world.panva.url}/auth?{urlencode(query)}", allow_redirects=False)
    while response.status_code in (302, 303) and response.headers["Location"].startswith(world.panva.url):
        response = citizen.browser.get(response.headers["Location"], allow_redirects=False)
    answer = parse_qs(urlsplit(response.headers["Location"]).query)
    return "code" in answer


def test_logout_is_chained_to_the_identity_provider(world):
    """RP-initiated logout at the hub ends the session at panva (its end_session_endpoint,
    with its ID token as hint), then returns to the service with its state."""
    service = world.service()
    request = authorization(world, service)
    citizen = Citizen()
    response = citizen.visit(request.url, reached_service, choose="panva")
    tokens = redeem(world, service, request, callback_params(response)["code"])
    assert panva_session_is_live(world, citizen)

    query = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": SP_LOGGED_OUT, "state": "bye"}
    final = citizen.visit(
        f"{world.hub.url}/logout?{urlencode(query)}",
        lambda page: page.headers.get("Location", "").startswith(SP_LOGGED_OUT),
    )
    assert final.headers["Location"] == f"{SP_LOGGED_OUT}?state=bye"
    assert any(urlsplit(page.url).path == "/session/end" for page in citizen.pages)
    assert not panva_session_is_live(world, citizen)
    userinfo = requests.get(
        f"{world.hub.url}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    )
    assert userinfo.status_code == 401


def test_a_provider_whose_keys_cannot_be_fetched_is_shown_unavailable(world, tmp_path):
    broken = start_upstream(tmp_path, world.hub.url, "panva-sans-cles", world.panva_accounts, jwks_down=True)
    try:
        world.register_panva_like("panva-sans-cles", broken, "eidas1")
        chooser = Citizen().visit(authorization(world, world.service()).url, reached_service)
    finally:
        broken.stop()
        world.hub.idp("identity-providers", "delete", "panva-sans-cles")
    assert chooser.status_code == 200
    assert "panva-sans-cles" not in offered_on(chooser) and "panva" in offered_on(chooser)
    assert "Compte panva-sans-cles" in chooser.text and "momentanément indisponible" in chooser.text
