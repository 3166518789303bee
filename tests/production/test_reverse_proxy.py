"""Behind a reverse proxy (issue 16): Debian's nginx with ``deploy/nginx/idp.conf``,
terminating TLS with a throwaway certificate, in front of two ``idp serve`` on one
PostgreSQL database (``IDP_TRUSTED_PROXIES=1``). The issuer is https, cookies are
``Secure``, HSTS is sent, idp sees the client's own address, bodies are bounded as idp
bounds them, and a strict relying party (openid-client) completes the code flow."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests

from tests.federation.citizen import PASSWORD, Citizen, csrf
from tests.federation.peers import strict_rp
from tests.production.flows import CITIZEN_SCOPE, REDIRECT_URI, introspection, register_service
from tests.production.instances import demo_data_provider

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PAIR_LIMIT = 3
HSTS = "max-age=31536000"


@pytest.fixture(scope="module")
def deployment_settings() -> dict:
    return {"IDP_LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP": str(PAIR_LIMIT)}


def test_the_issuer_and_every_endpoint_are_https(deployment):
    metadata = deployment.browser().get(f"{deployment.url}/.well-known/openid-configuration", timeout=10)
    assert metadata.status_code == 200
    document = metadata.json()
    assert document["issuer"] == deployment.url
    endpoints = {name: url for name, url in document.items() if name.endswith(("_endpoint", "_uri"))}
    assert endpoints and all(url.startswith(f"{deployment.url}/") for url in endpoints.values()), endpoints


def test_plain_http_is_only_a_redirect_to_https(deployment):
    response = requests.get(
        f"http://127.0.0.1:{deployment.proxy.http_port}/authorize?client_id=x",
        headers={"Host": "localhost"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/authorize?client_id=x"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/identity-providers", None, 200),  # a page
        ("GET", "/jwks", None, 200),  # the lean path
        ("POST", "/token", b"x" * (65 * 1024), 413),  # nginx's own answer
        ("GET", "/no-such-page", None, 404),
    ],
)
def test_hsts_is_sent_once_on_every_answer(deployment, method, path, body, status):
    response = deployment.browser().request(method, f"{deployment.url}{path}", data=body, timeout=10)
    assert response.status_code == status
    assert response.raw.headers.getlist("Strict-Transport-Security") == [HSTS]


def test_cookies_are_secure(deployment):
    browser = deployment.browser()
    page = browser.get(f"{deployment.url}/login", timeout=10)
    signed_in = browser.post(
        f"{deployment.url}/login",
        data={"username": "marie.dupont", "password": PASSWORD, "csrf_token": csrf(page.text)},
        headers={"Referer": page.url},  # Referrer-Policy: same-origin
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 303, signed_in.text[:500]
    cookies = page.raw.headers.getlist("Set-Cookie") + signed_in.raw.headers.getlist("Set-Cookie")
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert {"idp_session", "idp_device"} <= names, cookies
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite"} <= attributes, cookie
    assert browser.get(f"{deployment.url}/account", allow_redirects=False, timeout=10).status_code == 200


def test_a_form_posted_from_another_origin_is_refused(deployment):
    """Over https, a form must come from this origin (Flask-WTF's strict Referer check), as
    the same-origin Referer of our pages lets it. The check runs only on a request idp sees
    as https: X-Forwarded-Proto from nginx is believed."""
    browser = deployment.browser()
    page = browser.get(f"{deployment.url}/login", timeout=10)
    for referer in ("https://attacker.example/login", None):
        posted = browser.post(
            f"{deployment.url}/login",
            data={"username": "marie.dupont", "password": PASSWORD, "csrf_token": csrf(page.text)},
            headers={"Referer": referer},
            allow_redirects=False,
            timeout=10,
        )
        assert posted.status_code == 400, referer


def _fail(deployment, source: str, username: str, headers: dict | None = None) -> int:
    browser = deployment.browser(source)
    page = browser.get(f"{deployment.url}/login", timeout=10)
    return browser.post(
        f"{deployment.url}/login",
        data={"username": username, "password": "wrong password", "csrf_token": csrf(page.text)},
        headers={"Referer": page.url, **(headers or {})},
        allow_redirects=False,
        timeout=10,
    ).status_code


def test_idp_sees_each_clients_own_address(deployment):
    """Sign-in throttling holds an account from the address that guessed, through nginx:
    the guesser at 127.0.0.2 is held, a forged X-Forwarded-For does not free it, and the
    same account from 127.0.0.3 is not held. Were the proxy's address taken for the
    client's, both would be one address, held together."""
    guesser, other = "127.0.0.2", "127.0.0.3"
    guesses = [_fail(deployment, guesser, "jean.martin") for _ in range(PAIR_LIMIT)]
    assert guesses == [401] * (PAIR_LIMIT - 1) + [429]
    forged = {"X-Forwarded-For": "198.51.100.23"}
    assert _fail(deployment, guesser, "jean.martin", headers=forged) == 429
    assert _fail(deployment, other, "jean.martin") == 401


def test_the_webhook_takes_two_mebibytes_through_nginx(deployment):
    """1.5 MiB reaches idp (unsigned: 401 from idp, not 413 from nginx); 3 MiB does not."""
    browser = deployment.browser()
    large = browser.post(f"{deployment.url}/webhooks/datapass", data=b"{" + b" " * (3 << 19), timeout=30)
    assert large.status_code == 401, large.text[:300]
    too_large = browser.post(f"{deployment.url}/webhooks/datapass", data=b" " * (3 << 20), timeout=30)
    assert too_large.status_code == 413


def test_a_strict_relying_party_completes_the_code_flow_through_the_proxy(deployment, monkeypatch):
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(deployment.certificates.authority))
    service = register_service(deployment.instances[0], scope=CITIZEN_SCOPE)
    rp = {
        "issuer": deployment.url,
        "client_id": service["client_id"],
        "client_secret": service["client_secret"],
        "redirect_uri": REDIRECT_URI,
        "scope": CITIZEN_SCOPE,
    }
    started = strict_rp("start", **rp)
    assert urlsplit(started["url"]).netloc == urlsplit(deployment.url).netloc
    citizen = Citizen("marie.dupont")
    citizen.browser = deployment.browser()
    response = citizen.visit(started["url"], lambda r: r.headers.get("Location", "").startswith(REDIRECT_URI))
    assert response.headers.get("Location", "").startswith(REDIRECT_URI), response.text[:1000]
    finished = strict_rp("finish", **rp, **started, callback_url=response.headers["Location"])
    assert finished["claims"]["iss"] == deployment.url
    assert finished["userinfo"]["family_name"] == "Dupont"
    provider = demo_data_provider(deployment.instances)
    answer = introspection(deployment.url, provider, finished["access_token"], http=deployment.browser())
    assert answer["active"] is True and answer["scope"] == "dgfip_rfr"
    assert re.fullmatch(r"[0-9a-f]{64}v1", answer["sub"])
