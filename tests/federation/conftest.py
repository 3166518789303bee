"""The federation world: a hub (``idp serve``) with three identity providers.

- ``local``: the hub's own accounts (the demo's marie.dupont);
- ``idp-amont``: a second ``idp serve``, on ``localhost`` so that a browser keeps its cookies
  apart from the hub's (cookies are per host name, not per port), with the same demo people;
- ``panva``: panva/oidc-provider with accounts asserting chosen identities and levels.

The servers are shared by the module's tests; each test registers its own service.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from idp.citizens.federation.flow import PIVOT_CLAIMS
from idp.demo.seed import DEMO_CITIZENS
from tests.e2e_server import LiveServer, start_server
from tests.federation.peers import PIVOT_SCOPE, UpstreamProvider, start_upstream

SP_REDIRECT = "https://service.example.fr/callback"
SP_LOGGED_OUT = "https://service.example.fr/logged-out"
SP_SCOPE = "openid given_name family_name birthdate email"
#: The demo's marie.dupont (``idp seed-demo``, on the hub and on idp-amont), as panva asserts her.
MARIE = {key: DEMO_CITIZENS[0][key] for key in (*PIVOT_CLAIMS, "email")}
PANVA_ACCOUNTS = {
    "marie.dupont": {"acr": "eidas2", "claims": MARIE},
    "marie-faible": {"acr": "eidas1", "claims": MARIE},
    "identite-invalide": {"acr": "eidas2", "claims": {**MARIE, "birthdate": "1985-13-45", "gender": "x"}},
    "sans-courriel": {"acr": "eidas2", "claims": {k: v for k, v in MARIE.items() if k != "email"}},
    # A userinfo answer past the hub's 64 KiB limit on what it reads from another server.
    "identite-enorme": {"acr": "eidas2", "claims": {**MARIE, "given_name": "Marie " * 12_000}},
}


@dataclass
class World:
    hub: LiveServer
    upstream_idp: LiveServer
    panva: UpstreamProvider
    panva_accounts = PANVA_ACCOUNTS

    def register_panva_like(self, name: str, upstream: UpstreamProvider, *levels: str) -> dict:
        """Register ``upstream`` (a panva) at the hub as identity provider ``name``."""
        level_options = [option for level in levels for option in ("--eidas-level", level)]
        return self.hub.idp_json(
            "identity-providers", "add", "--name", name, "--title", f"Compte {name}",
            "--discovery-url", upstream.discovery_url, "--client-id", upstream.client_id,
            "--client-secret", upstream.client_secret, *level_options, "--json",
        )  # fmt: skip

    def service(self, *options: str) -> dict:
        """A new service provider at the hub (its credentials)."""
        return self.hub.idp_json(
            "clients", "create", "--name", f"Service {secrets.token_hex(3)}",
            "--redirect-uri", SP_REDIRECT, "--post-logout-redirect-uri", SP_LOGGED_OUT,
            "--allowed-scopes", SP_SCOPE, *options, "--json",
        )  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("federation")
    hub = start_server(root / "hub")
    upstream_idp = start_server(root / "upstream", issuer_host="localhost")
    panva = None
    try:
        name = "idp-amont"
        credentials = upstream_idp.idp_json(
            "clients", "create", "--name", "Hub", "--auth-method", "client_secret_basic",
            "--redirect-uri", f"{hub.url}/identity-providers/{name}/callback",
            "--post-logout-redirect-uri", f"{hub.url}/identity-providers/{name}/logged-out",
            "--allowed-scopes", PIVOT_SCOPE, "--json",
        )  # fmt: skip
        hub.idp(
            "identity-providers", "add", "--name", name, "--title", "IdP amont",
            "--discovery-url", f"{upstream_idp.url}/.well-known/openid-configuration",
            "--client-id", credentials["client_id"], "--client-secret", credentials["client_secret"],
        )  # fmt: skip
        panva = start_upstream(root, hub.url, "panva", PANVA_ACCOUNTS)
        built = World(hub, upstream_idp, panva)
        built.register_panva_like("panva", panva, "eidas1", "eidas2")
        yield built
    finally:
        if panva is not None:
            panva.stop()
        upstream_idp.stop()
        hub.stop()


@dataclass
class Authorization:
    """A service's authorization request at the hub, and what it needs to redeem the code."""

    url: str
    state: str
    verifier: str
    nonce: str


def authorization(world: World, service: dict, **extra: str) -> Authorization:
    verifier, state, nonce = generate_token(64), secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    query = {
        "response_type": "code",
        "client_id": service["client_id"],
        "redirect_uri": SP_REDIRECT,
        "scope": SP_SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    return Authorization(f"{world.hub.url}/authorize?{urlencode(query)}", state, verifier, nonce)


def reached_service(response: requests.Response) -> bool:
    return response.headers.get("Location", "").startswith(SP_REDIRECT)


def callback_params(response: requests.Response) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def redeem(world: World, service: dict, request: Authorization, code: str) -> dict:
    """The service's token request (client_secret_basic, PKCE)."""
    response = requests.post(
        f"{world.hub.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": SP_REDIRECT,
            "code_verifier": request.verifier,
        },
        auth=(service["client_id"], service["client_secret"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()
