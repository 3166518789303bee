"""Protocol fixtures: a citizen, a service provider, and a code-flow driver over the test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from idp.citizens.users import create_user
from idp.clients.admin import ClientSettings, create_client

PASSWORD = "correct horse battery staple"
#: FranceConnect requires a nonce of 22 characters or more.
NONCE = "nonce-of-the-service-provider-456"
REDIRECT_URI = "https://sp.example.fr/callback"
IDENTITY_SCOPES = "openid given_name family_name birthdate gender birthplace birthcountry email"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class ServiceProvider:
    client_id: str
    client_secret: str | None
    redirect_uri: str = REDIRECT_URI


@pytest.fixture
def citizen(app):
    with app.app_context():
        user = create_user(
            username="camille",
            password=PASSWORD,
            given_name="Camille Anne",
            family_name="Durand",
            birthdate="1990-02-28",
            gender="female",
            birthplace="75056",
            birthcountry="99100",
            email="camille@example.fr",
        )
        return user.username


def make_client(app, **overrides) -> ServiceProvider:
    settings = ClientSettings(
        name="Portail test",
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=["https://sp.example.fr/bye"],
        auth_method="client_secret_basic",
        operator_scope_override=(IDENTITY_SCOPES + " offline_access dgfip_rfr dgfip_statistiques").split(),
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    with app.app_context():
        client, secret = create_client(settings)
        return ServiceProvider(client.client_id, secret)


@pytest.fixture
def service_provider(app) -> ServiceProvider:
    return make_client(app)


class CodeFlow:
    """Drives /authorize, /login and /consent through the Flask test client."""

    def __init__(self, client, sp: ServiceProvider, username: str = "camille"):
        self.http = client
        self.sp = sp
        self.username = username
        self.verifier, self.challenge = pkce_pair()

    def authorize_params(self, **extra) -> dict:
        params = {
            "response_type": "code",
            "client_id": self.sp.client_id,
            "redirect_uri": self.sp.redirect_uri,
            "scope": IDENTITY_SCOPES,
            "state": "state-123",
            "nonce": NONCE,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        params.update(extra)
        return {key: value for key, value in params.items() if value is not None}

    def login(self, password: str = PASSWORD):
        page = self.http.get("/login")
        token = csrf_token(page.get_data(as_text=True))
        return self.http.post(
            "/login", data={"username": self.username, "password": password, "csrf_token": token}
        )

    def consent(self, decision: str = "accept"):
        page = self.http.get("/consent")
        token = csrf_token(page.get_data(as_text=True))
        return self.http.post("/consent", data={"decision": decision, "csrf_token": token})

    def authorize(self, **extra):
        """Run the whole interaction; return the final redirect to the client."""
        response = self.http.get("/authorize", query_string=self.authorize_params(**extra))
        for _ in range(6):
            location = response.headers.get("Location", "")
            if response.status_code in (302, 303) and location.startswith("/identity-providers"):
                response = self.http.get(location)  # the chooser: with only the local store, /login
            elif response.status_code in (302, 303) and location.startswith("/login"):
                response = self.http.get(self.login().headers["Location"])
            elif response.status_code in (302, 303) and location.startswith("/consent"):
                response = self.http.get(self.consent().headers["Location"])
            else:
                return response
        return response

    def code(self, **extra) -> str:
        response = self.authorize(**extra)
        assert response.status_code == 302, response.get_data(as_text=True)
        params = query_of(response.headers["Location"])
        assert "code" in params, params
        return params["code"]

    def exchange(self, authorization_code: str, **extra):
        data = {
            "grant_type": "authorization_code",
            "code": authorization_code,
            "redirect_uri": self.sp.redirect_uri,
            "code_verifier": self.verifier,
        }
        data.update(extra)
        data = {key: value for key, value in data.items() if value is not None}
        return self.http.post("/token", data=data, auth=(self.sp.client_id, self.sp.client_secret))

    def tokens(self, **extra) -> dict:
        response = self.exchange(self.code(**extra))
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def csrf_token(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture
def flow(client, service_provider, citizen) -> CodeFlow:
    return CodeFlow(client, service_provider)
