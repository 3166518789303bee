"""The hardening issue's attacks, tried against a real ``idp serve`` (Granian, 2 workers)
over HTTP, as an attacker would: the hostile inputs that once gave a 500 or a false 503, a
citizen's account under guessing, and a signed DataPass revoke with an over-long field.

The per-endpoint tables are ``tests/idp/robustness/test_hostile_input.py``'s, sent here
through the real server, so that the lean path, Granian and the buffering adapter are in
the way too. Addresses: the server trusts one proxy hop (``IDP_TRUSTED_PROXIES=1``), and
each request says which client address it comes from in ``X-Forwarded-For``, as the proxy
in front would.
"""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import urlencode

import pytest
import requests

from tests.e2e_server import start_server
from tests.idp.datapass.conftest import SECRET, WEBHOOK, sample, signature
from tests.idp.robustness.test_hostile_input import AUTHORIZE_CASES, TOKEN_CASES

pytestmark = pytest.mark.e2e

REDIRECT_URI = "https://fs.example.fr/callback"
PASSWORD = "demo-password-2026"
CITIZEN = "marie.dupont"
ATTACKER, CITIZEN_ADDRESS = "203.0.113.66", "198.51.100.7"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(
        tmp_path_factory.mktemp("attacker"),
        workers=2,
        env={"IDP_TRUSTED_PROXIES": "1", "IDP_DATAPASS_WEBHOOK_SECRETS": SECRET},
    )
    yield live
    live.stop()


@pytest.fixture(scope="module")
def service(server) -> dict:
    return server.idp_json(
        "clients", "create", "--name", "FS attaquée", "--redirect-uri", REDIRECT_URI,
        "--allowed-scopes", "openid given_name", "--json",
    )  # fmt: skip


def assert_not_a_server_error(response: requests.Response) -> None:
    assert 400 <= response.status_code < 500 or response.status_code in (302, 303), (
        response.status_code,
        response.text[:300],
    )
    if response.status_code in (302, 303):  # an error for the service, or our own sign-in page
        location = response.headers["Location"]
        assert "error=" in location or location.startswith(("/login", "/identity-providers")), location


@pytest.mark.parametrize("case", list(AUTHORIZE_CASES), ids=list(AUTHORIZE_CASES))
def test_hostile_authorization_requests(server, service, case):
    params = {
        "response_type": "code",
        "client_id": service["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid given_name",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(24),
        "code_challenge": secrets.token_urlsafe(32),
        "code_challenge_method": "S256",
    }
    overrides = dict(AUTHORIZE_CASES[case])
    suffix = overrides.pop("redirect_uri_suffix", None)
    if suffix is not None:
        overrides["redirect_uri"] = REDIRECT_URI + suffix
    params.update(overrides)
    response = requests.get(server.url + "/authorize", params=params, allow_redirects=False, timeout=10)
    assert_not_a_server_error(response)


@pytest.mark.parametrize("case", list(TOKEN_CASES), ids=list(TOKEN_CASES))
def test_hostile_token_requests(server, service, case):
    response = requests.post(
        server.url + "/token", data=TOKEN_CASES[case], auth=(service["client_id"], "x"), timeout=10
    )
    assert_not_a_server_error(response)
    assert response.json()["error"]


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/authorize?" + urlencode({"client_id": "x"}) + "&%22=1&%22=2", None),
        ("POST", "/token", "grant_type=client_credentials&%22=1&%22=2"),
        ("POST", "/introspect", "token=a&token=b"),
        ("POST", "/introspect", "token=" + "9" * 30 + "&client_id=a%00b"),
        ("POST", "/checktoken", "token=x&client_id=%C3%A9&client_secret=x"),
        ("POST", "/api/v1/scopes", "[" * 10_000 + "]" * 10_000),
        ("POST", WEBHOOK, '{"a":' * 10_000 + "1" + "}" * 10_000),
        ("POST", "/account/consents/" + "9" * 20 + "/withdraw", ""),
    ],
    ids=[
        "authorize repeated quote",
        "token repeated quote",
        "introspect repeated token",
        "introspect NUL client_id",
        "checktoken non-ASCII client_id",
        "registry API nested JSON",
        "webhook nested JSON",
        "consent id of 20 digits",
    ],
)
def test_hostile_machine_requests(server, method, path, body):
    content_type = "application/json" if path.startswith(("/api/", WEBHOOK)) else None
    headers = {"Content-Type": content_type or "application/x-www-form-urlencoded"}
    response = requests.request(
        method, server.url + path, data=body, headers=headers, allow_redirects=False, timeout=10
    )
    assert_not_a_server_error(response)


def _sign_in(server, address: str, password: str) -> requests.Response:
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = address
    page = browser.get(server.url + "/login", timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser.post(
        server.url + "/login",
        data={"username": CITIZEN, "password": password, "csrf_token": csrf},
        allow_redirects=False,
        timeout=30,
    )


def test_ten_failures_from_one_address_do_not_lock_the_citizen_out(server, measure):
    answers = [_sign_in(server, ATTACKER, "not-her-password").status_code for _ in range(10)]
    assert answers[-1] == 429  # the guessing address is held
    assert _sign_in(server, ATTACKER, PASSWORD).status_code == 429  # even with the password
    signed_in = _sign_in(server, CITIZEN_ADDRESS, PASSWORD)
    assert signed_in.status_code == 303, signed_in.text[:300]
    measure("attacker's answers to 10 wrong passwords", answers)


def _deliver(server, payload: dict) -> requests.Response:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-App-Environment": "production",
        "X-Hub-Signature-256": signature(body),
    }
    return requests.post(server.url + WEBHOOK, data=body, headers=headers, timeout=10)


def test_a_signed_revoke_with_an_over_long_field_is_applied(server):
    for name in ("approve-france-connect", "approve-api-impot-particulier"):
        assert _deliver(server, sample(name)).status_code == 200
    revoke = sample("revoke-api-impot-particulier")
    revoke["data"]["data"]["intitule"] = "Aide au logement étudiant " * 24  # 624 characters
    response = _deliver(server, revoke)
    assert (response.status_code, response.json()["outcome"]) == (200, "applied"), response.text
    listed = server.idp_json("habilitations", "show", str(revoke["model_id"]))
    assert listed["active"] is False
