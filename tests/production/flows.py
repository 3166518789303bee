"""What the production tests do through any of the instances: a citizen's code flow (the
browser is :class:`tests.federation.citizen.Citizen`, whose cookies every instance
shares), machine tokens, and the answers that say whether a token is still good."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from idp.demo.seed import MACHINE_SCOPE
from tests.e2e_server import LiveServer
from tests.federation.citizen import Citizen

REDIRECT_URI = "https://service.example.fr/callback"
CITIZEN_SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry dgfip_rfr"


def register_service(server: LiveServer, scope: str = f"{CITIZEN_SCOPE} {MACHINE_SCOPE}") -> dict:
    """A service provider allowed ``scope`` (an operator's override), with its secret."""
    return server.idp_json(
        "clients", "create", "--name", "service", "--redirect-uri", REDIRECT_URI,
        "--allowed-scopes", scope, "--json",
    )  # fmt: skip


def query(response: requests.Response) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def authorize(citizen: Citizen, base: str, service: dict, scope: str = CITIZEN_SCOPE) -> tuple[dict, str]:
    """The citizen at ``base``/authorize until sent back to the service: the redirect's
    parameters (``code`` or ``error``), and the PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    url = f"{base}/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": service["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": secrets.token_urlsafe(12),
            "nonce": secrets.token_urlsafe(24),
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    response = citizen.visit(url, lambda r: r.headers.get("Location", "").startswith(REDIRECT_URI), "local")
    assert response.headers.get("Location", "").startswith(REDIRECT_URI), response.text[:1000]
    return query(response), verifier


def redeem(base: str, service: dict, code: str, verifier: str, http=requests) -> requests.Response:
    return http.post(
        f"{base}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
              "code_verifier": verifier},
        auth=(service["client_id"], service["client_secret"]),
        timeout=15,
    )  # fmt: skip


def citizen_tokens(citizen: Citizen, base: str, service: dict) -> dict:
    params, verifier = authorize(citizen, base, service)
    response = redeem(base, service, params["code"], verifier)
    assert response.status_code == 200, response.text
    return response.json()


def machine_token(base: str, service: dict, http=requests) -> requests.Response:
    return http.post(
        f"{base}/token",
        data={"grant_type": "client_credentials", "scope": MACHINE_SCOPE},
        auth=(service["client_id"], service["client_secret"]),
        timeout=15,
    )


def introspection(base: str, provider: dict, token: str, http=requests) -> dict:
    """The demo data provider's introspection (client_secret_post, as seed-demo registers it)."""
    response = http.post(f"{base}/introspect", data={"token": token, **provider}, timeout=15)
    assert response.status_code == 200, response.text
    return response.json()
