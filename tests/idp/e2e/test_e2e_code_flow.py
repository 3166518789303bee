"""End to end over HTTP against a real ``idp serve`` (Granian, 2 workers), with Authlib's
relying-party client: discovery, PKCE, sign-in, consent, token, ID token checked against
/jwks, userinfo, refresh, logout."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from tests.e2e_server import start_server

pytestmark = pytest.mark.e2e

REDIRECT_URI = "https://rp.example.fr/callback"
PASSWORD = "demo-password-2026"


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def browse(browser: requests.Session, url: str, base: str, username: str, done) -> requests.Response:
    """Follow the provider's pages like a citizen (sign in, consent) until ``done(response)``."""
    response = browser.get(url, allow_redirects=False)
    for _ in range(10):
        if done(response):
            return response
        if response.status_code in (302, 303):
            response = browser.get(urljoin(base, response.headers["Location"]), allow_redirects=False)
        elif 'name="password"' in response.text:
            response = browser.post(
                response.url,
                data={"username": username, "password": PASSWORD, "csrf_token": form_token(response.text)},
                allow_redirects=False,
            )
        elif 'name="decision"' in response.text:
            response = browser.post(
                response.url,
                data={"decision": "accept", "csrf_token": form_token(response.text)},
                allow_redirects=False,
            )
        else:
            raise AssertionError(f"unexpected page {response.status_code}: {response.text[:500]}")
    raise AssertionError("too many steps")


def reached_client(response: requests.Response) -> bool:
    return response.headers.get("Location", "").startswith(REDIRECT_URI)


def test_code_flow_with_authlib_client(live_server):
    base = live_server.url
    creds = live_server.idp_json(
        "clients",
        "create",
        "--name",
        "RP e2e",
        "--redirect-uri",
        REDIRECT_URI,
        "--post-logout-redirect-uri",
        "https://rp.example.fr/bye",
        "--auth-method",
        "client_secret_basic",
        "--allowed-scopes",
        "openid given_name family_name birthdate email offline_access",
        "--json",
    )
    metadata = requests.get(base + "/.well-known/openid-configuration", timeout=5).json()
    assert metadata["issuer"] == base

    rp = OAuth2Session(
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        scope="openid given_name family_name birthdate email offline_access",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
        leeway=5,  # access tokens live 60 s; Authlib's default 60 s leeway would expire them at once
    )
    verifier = generate_token(64)
    nonce = secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser = requests.Session()
    callback = browse(browser, url, base, "marie.dupont", reached_client).headers["Location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    assert params["iss"] == base and params["state"] == state

    token = rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=5).json())
    id_token = jose_jwt.decode(token["id_token"], keys, algorithms=["RS256", "ES256"])
    claims_registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": base},
        aud={"essential": True, "value": creds["client_id"]},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        auth_time={"essential": True},
    )
    claims_registry.validate(id_token.claims)
    assert id_token.claims["given_name"] == "Marie Claire"

    userinfo = rp.get(metadata["userinfo_endpoint"], timeout=5).json()
    assert userinfo["sub"] == id_token.claims["sub"]
    assert userinfo["family_name"] == "Dupont"
    assert set(userinfo) == {"sub", "given_name", "given_name_array", "family_name", "birthdate", "email"}

    refreshed = rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert rp.get(metadata["userinfo_endpoint"], timeout=5).status_code == 200

    logout = browser.get(
        metadata["end_session_endpoint"],
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "https://rp.example.fr/bye",
            "state": "s1",
        },
        allow_redirects=False,
    )
    assert logout.status_code == 303
    assert logout.headers["Location"] == "https://rp.example.fr/bye?state=s1"
    again = browser.get(url, allow_redirects=False)
    assert urlsplit(again.headers["Location"]).path == "/identity-providers"  # signed out: sign in again


def test_demo_page_shows_verified_id_token(live_server):
    browser = requests.Session()
    base = live_server.url
    page = browser.get(base + "/demo/", timeout=5)
    start = browser.post(
        base + "/demo/start", data={"csrf_token": form_token(page.text)}, allow_redirects=False
    )
    response = browse(
        browser,
        start.headers["Location"],
        base,
        "jean.martin",
        lambda r: (
            r.status_code == 200 and 'name="password"' not in r.text and 'name="decision"' not in r.text
        ),
    )
    assert response.status_code == 200
    assert 'id="id-token-claims"' in response.text, response.text[:2000]
    assert "Martin" in response.text


def test_demo_with_opaque_access_tokens(tmp_path):
    """``IDP_ACCESS_TOKEN_FORMAT=opaque``: the demo service reads nothing in its token, and
    the demo data provider learns what it grants through /checktoken alone."""
    server = start_server(tmp_path, env={"IDP_ACCESS_TOKEN_FORMAT": "opaque"})
    try:
        browser = requests.Session()
        page = browser.get(server.url + "/demo/", timeout=5)
        start = browser.post(
            server.url + "/demo/start", data={"csrf_token": form_token(page.text)}, allow_redirects=False
        )
        response = browse(
            browser,
            start.headers["Location"],
            server.url,
            "jean.martin",
            lambda r: r.status_code == 200 and "/demo/callback" in r.url,
        )
    finally:
        server.stop()
    assert 'id="id-token-claims"' in response.text, response.text[:2000]
    assert 'id="access-token-claims"' not in response.text
    assert "Jeton d’accès opaque" in response.text
    assert "→ 200" in response.text  # the demo API checked it with /checktoken only
    assert '"active": true' in response.text and '"local": null' in response.text
