"""What each workload needs, created the way an operator and a citizen would.

Clients come from ``idp clients create``; the citizen signs in and consents once through
the real pages over HTTP, and the flow workload then reuses that session cookie.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from bench.servers import IdpServer, Server

PEER_SERVICE = ("fs-bench", "fs-bench-secret-0123456789abcdef")
PEER_DATA_PROVIDER = ("fd-bench", "fd-bench-secret-0123456789abcdef")
#: ``oidc-provider-flow-peer.mjs``'s service provider and its unreachable redirect URI.
PEER_FLOW_SERVICE = ("fs-flow", "fs-flow-secret-0123456789abcdef")
PEER_FLOW_REDIRECT_URI = "http://127.0.0.1:9/cb"
FLOW_REDIRECT_URI = "https://fs-bench.example/callback"
FLOW_SCOPE = "openid given_name family_name"
CITIZEN = ("marie.dupont", "demo-password-2026")  # from `idp seed-demo`


def basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-urlencode each part, then Base64 ``id:secret``."""
    raw = f"{requests.utils.quote(client_id, safe='')}:{requests.utils.quote(secret, safe='')}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


@dataclass
class Credentials:
    service: tuple[str, str]
    data_provider: tuple[str, str]
    token_path: str
    introspect_path: str

    def client_credentials_token(self, base_url: str) -> str:
        response = requests.post(
            base_url + self.token_path,
            data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
            headers={"Authorization": basic(*self.service)},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["access_token"]


def peer_credentials() -> Credentials:
    return Credentials(PEER_SERVICE, PEER_DATA_PROVIDER, "/token", "/token/introspection")


def idp_credentials(server: IdpServer) -> Credentials:
    service = server.idp_json(
        "clients",
        "create",
        "--name",
        "fs-bench",
        "--auth-method",
        "client_secret_basic",
        "--allowed-scopes",
        "dgfip_statistiques",
        "--json",
    )
    # `idp seed-demo` registers a demo data provider owning the dgfip namespace: the
    # benchmark's own data provider takes the namespace over, as an operator would.
    owners = [
        c["client_id"] for c in server.idp_json("clients", "list", "--json") if c.get("namespace") == "dgfip"
    ]
    for client_id in owners:
        server.idp("clients", "delete", client_id)
    data_provider = server.idp_json(
        "clients",
        "create",
        "--name",
        "fd-bench",
        "--role",
        "data-provider",
        "--namespace",
        "dgfip",
        "--json",
    )
    return Credentials(
        (service["client_id"], service["client_secret"]),
        (data_provider["client_id"], data_provider["client_secret"]),
        "/token",
        "/introspect",
    )


@dataclass
class FlowSetup:
    """A signed-in, consented citizen and the service provider's PKCE request."""

    authorize_path: str
    cookie: str
    authorization: str
    token_body: str
    token_path: str = "/token"
    userinfo_path: str = "/userinfo"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def flow_requests(
    client_id: str, redirect_uri: str = FLOW_REDIRECT_URI, authorize: str = "/authorize"
) -> tuple[str, str]:
    """The service provider's PKCE authorization request (path and query), and its token
    request's form body but the code, which each flow appends."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    authorize_path = (
        authorize
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": FLOW_SCOPE,
                "state": "bench-state",
                "nonce": secrets.token_urlsafe(24),  # FranceConnect requires 22 characters or more
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    token_body = urlencode(
        {"grant_type": "authorization_code", "redirect_uri": redirect_uri, "code_verifier": verifier}
    )
    return authorize_path, token_body


def prepare_flow(server: IdpServer) -> FlowSetup:
    """Create the service provider, then sign in and consent once through the pages."""
    client = server.idp_json(
        "clients",
        "create",
        "--name",
        "fs-flow",
        "--auth-method",
        "client_secret_basic",
        "--redirect-uri",
        FLOW_REDIRECT_URI,
        "--allowed-scopes",
        FLOW_SCOPE,
        "--json",
    )
    authorize_path, token_body = flow_requests(client["client_id"])
    browser = requests.Session()
    page = browser.get(server.url + authorize_path, timeout=10)  # follows to the sign-in page
    page = browser.post(
        page.url,
        data={"csrf_token": _csrf(page.text), "username": CITIZEN[0], "password": CITIZEN[1]},
        timeout=10,
    )
    page = browser.post(
        page.url,
        data={"csrf_token": _csrf(page.text), "decision": "accept"},
        allow_redirects=False,
        timeout=10,
    )
    final = browser.get(urljoin(page.url, page.headers["Location"]), allow_redirects=False, timeout=10)
    if "code" not in parse_qs(urlsplit(final.headers.get("Location", "")).query):
        raise RuntimeError(f"consented authorize did not return a code: {final.status_code}")
    cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    return FlowSetup(authorize_path, cookie, basic(client["client_id"], client["client_secret"]), token_body)


def introspection_target(server: Server, credentials: Credentials) -> tuple[str, str]:
    """(path, form body) introspecting a fresh valid token as the data provider."""
    token = credentials.client_credentials_token(server.url)
    return credentials.introspect_path, urlencode({"token": token})


def prepare_peer_flow(peer: Server) -> FlowSetup:
    """Sign in and consent once through the peer's dev interactions, as its header says:
    the login form (any name and password), then the consent form; afterwards the same
    authorization request answers a code at once."""
    authorize_path, token_body = flow_requests(PEER_FLOW_SERVICE[0], PEER_FLOW_REDIRECT_URI, "/auth")
    browser = requests.Session()
    response = browser.get(peer.url + authorize_path, allow_redirects=False, timeout=10)
    for _ in range(12):
        location = response.headers.get("Location", "")
        if location.startswith(PEER_FLOW_REDIRECT_URI):
            if "code" not in parse_qs(urlsplit(location).query):
                raise RuntimeError(f"the peer refused the flow: {location}")
            cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
            return FlowSetup(authorize_path, cookie, basic(*PEER_FLOW_SERVICE), token_body, "/token", "/me")
        if location:
            response = browser.get(urljoin(response.url, location), allow_redirects=False, timeout=10)
            continue
        action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        if action is None:
            raise RuntimeError(f"unexpected peer page {response.status_code}: {response.text[:300]}")
        form = (
            {"prompt": "login", "login": CITIZEN[0], "password": CITIZEN[1]}
            if 'name="login"' in response.text
            else {"prompt": "consent"}
        )
        response = browser.post(
            urljoin(response.url, action.group(1)), data=form, allow_redirects=False, timeout=10
        )
    raise RuntimeError("the peer's interactions did not end")
