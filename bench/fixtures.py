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


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def flow_requests(client_id: str) -> tuple[str, str]:
    """The service provider's PKCE authorization request (path and query), and its token
    request's form body but the code, which each flow appends."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    authorize_path = "/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": FLOW_REDIRECT_URI,
            "scope": FLOW_SCOPE,
            "state": "bench-state",
            "nonce": secrets.token_urlsafe(24),  # FranceConnect requires 22 characters or more
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    token_body = urlencode(
        {"grant_type": "authorization_code", "redirect_uri": FLOW_REDIRECT_URI, "code_verifier": verifier}
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
