"""Acceptance, over HTTP against a real ``idp serve`` (2 workers): a habilitation approved by
DataPass webhook, the code flow with ``dgfip_rfr``, then everything a data provider does with
the access token (introspection, signed introspection, /checktoken, the demo API), revocation,
and the habilitation revoked by webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests

from idp.demo.data_provider.credentials import DEMO_DATA_PROVIDER_ID
from tests.e2e_server import start_server

pytestmark = pytest.mark.e2e

WEBHOOK_SECRET = "e2e-datapass-secret-0123456789abcdef"
SAMPLES = Path(__file__).parents[1] / "datapass" / "samples"
CITIZEN = ("marie.dupont", "demo-password-2026")  # from `idp seed-demo`
MARIE = {
    "given_name": "Marie Claire",
    "family_name": "Dupont",
    "birthdate": "1985-04-12",
    "gender": "female",
    "birthplace": "75056",
    "birthcountry": "99100",
}
SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry dgfip_rfr"
INACTIVE = {"active": False}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(
        tmp_path_factory.mktemp("dp-e2e"),
        workers=2,
        env={"IDP_DATAPASS_WEBHOOK_SECRETS": WEBHOOK_SECRET, "IDP_DATAPASS_ENVIRONMENT": "production"},
    )
    yield live
    live.stop()


def deliver(server, name: str) -> requests.Response:
    """POST a DataPass sample the way DataPass does: HMAC-SHA256 of the raw body."""
    body = (SAMPLES / f"{name}.json").read_bytes()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return requests.post(
        server.url + "/webhooks/datapass",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature,
            "X-App-Environment": "production",
        },
        timeout=10,
    )


def csrf_token(page: str) -> str:
    return html.unescape(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))


def sign_in(url: str, redirect_uri: str) -> str:
    """A browser at an authorization URL, signing in as Marie and consenting, form by form;
    returns the URL the provider sends it back to (``redirect_uri``, with the code), unvisited."""
    browser = requests.Session()
    response = browser.get(url, allow_redirects=False, timeout=10)
    for _ in range(10):
        assert response.status_code in (302, 303), response.text
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(redirect_uri):
            return location
        page = browser.get(location, allow_redirects=False, timeout=10)
        if page.status_code in (302, 303):
            response = page
            continue
        path = urlsplit(page.url).path
        if path == "/login":
            data = {"username": CITIZEN[0], "password": CITIZEN[1]}
        elif path == "/consent":
            data = {"decision": "accept"}
        else:
            raise AssertionError(f"unexpected page {page.url}: {page.status_code}")
        data["csrf_token"] = csrf_token(page.text)
        response = browser.post(page.url, data=data, allow_redirects=False, timeout=10)
    raise AssertionError(f"never sent back to {redirect_uri}")


def sign_in_and_get_tokens(server, sp: dict, scope: str = SCOPE) -> dict:
    """The code flow as a browser and a service provider do it."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": sp["client_id"],
        "redirect_uri": sp["redirect_uri"],
        "scope": scope,
        "state": "s-1",
        "nonce": secrets.token_urlsafe(24),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    location = sign_in(server.url + "/authorize?" + urlencode(query), sp["redirect_uri"])
    params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert "code" in params, params
    token = requests.post(
        server.url + "/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": sp["redirect_uri"],
            "code_verifier": verifier,
        },
        auth=(sp["client_id"], sp["client_secret"]),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return token.json()


def jwks_key(server, token: str) -> jwt.PyJWK:
    kid = jwt.get_unverified_header(token)["kid"]
    keys = requests.get(server.url + "/jwks", timeout=10).json()["keys"]
    return jwt.PyJWK(next(key for key in keys if key["kid"] == kid))


def verify(server, token: str, *, typ: str, audience: str, require: list[str]) -> dict:
    """Independent JOSE validation (PyJWT): typ from the header, key from /jwks."""
    assert jwt.get_unverified_header(token)["typ"] == typ
    return jwt.decode(
        token,
        jwks_key(server, token).key,
        algorithms=["ES256"],
        issuer=server.url,
        audience=audience,
        options={"require": require},
    )


def introspect(server, dp: dict, token: str, **headers) -> requests.Response:
    """client_secret_post for the demo DGFiP (as registered by seed-demo), basic otherwise."""
    if dp["client_id"] == DEMO_DATA_PROVIDER_ID:
        credentials = {
            "data": {"token": token, "client_id": dp["client_id"], "client_secret": dp["client_secret"]}
        }
    else:
        credentials = {"data": {"token": token}, "auth": (dp["client_id"], dp["client_secret"])}
    return requests.post(server.url + "/introspect", headers=headers, timeout=10, **credentials)


def checktoken(server, dp: dict, token: str) -> requests.Response:
    return requests.post(
        server.url + "/checktoken",
        data={"token": token, "client_id": dp["client_id"], "client_secret": dp["client_secret"]},
        timeout=10,
    )


def test_the_whole_data_provider_exchange(server):
    # A service provider's FranceConnect habilitation, then its API Impôt particulier one.
    approved = deliver(server, "approve-france-connect")
    if approved.status_code == 404:
        pytest.fail("POST /webhooks/datapass is not available")
    assert approved.status_code == 200, approved.text
    client_id = approved.json()["token_id"]
    redirect_uri = server.url + "/callback-of-the-service-provider"
    updated = server.idp_json("clients", "update", client_id, "--redirect-uri", redirect_uri, "--json")
    secret = (
        updated.get("client_secret")
        or server.idp_json("clients", "rotate-secret", client_id, "--json")["client_secret"]
    )
    sp = {"client_id": client_id, "client_secret": secret, "redirect_uri": redirect_uri}
    linked = deliver(server, "approve-api-impot-particulier")
    assert linked.status_code == 200, linked.text
    assert "dgfip_rfr" in server.idp_json("clients", "show", client_id)["allowed_scopes"]

    # The data providers: the DGFiP (the demo one, seeded) and the CNAF, registered by the CLI.
    instance = Path(server.env["IDP_INSTANCE_PATH"])
    dgfip = json.loads((instance / "demo_data_provider.json").read_text())
    cnaf = server.idp_json(
        "clients", "create", "--name", "CNAF", "--role", "data-provider", "--namespace", "cnaf", "--json"
    )

    tokens = sign_in_and_get_tokens(server, sp)
    access_token = tokens["access_token"]
    at_claims = verify(
        server,
        access_token,
        typ="at+jwt",
        audience=dgfip["client_id"],
        require=["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"],
    )
    assert at_claims["client_id"] == client_id
    assert at_claims["scope"] == SCOPE

    # The DGFiP introspects: active, its scopes only, the pivot identity, its own sub.
    body = introspect(server, dgfip, access_token).json()
    assert body["active"] is True
    assert body["scope"] == "dgfip_rfr"
    assert {name: body[name] for name in MARIE} == MARIE
    assert body["sub"] != at_claims["sub"] and body["sub"].endswith("v1")
    assert body["aud"] == dgfip["client_id"] and body["client_id"] == client_id

    # The CNAF gets nothing.
    assert introspect(server, cnaf, access_token).json() == INACTIVE

    # RFC 9701 signed introspection verifies against /jwks.
    signed = introspect(server, dgfip, access_token, Accept="application/token-introspection+jwt")
    assert signed.headers["Content-Type"].startswith("application/token-introspection+jwt")
    claims = verify(
        server, signed.text, typ="token-introspection+jwt", audience=dgfip["client_id"], require=["iat"]
    )
    assert claims["token_introspection"] == body

    # /checktoken answers as FranceConnect v2: the service provider as aud, the same sub.
    answer = checktoken(server, dgfip, access_token)
    assert answer.status_code == 200
    claims = verify(
        server, answer.text, typ="token-introspection+jwt", audience=dgfip["client_id"], require=["iat"]
    )
    checked = claims["token_introspection"]
    assert checked["aud"] == client_id and checked["jti"] == at_claims["jti"]
    assert {name: checked[name] for name in ("active", "sub", "scope", "iat", "exp", "acr", *MARIE)} == {
        name: body[name] for name in ("active", "sub", "scope", "iat", "exp", "acr", *MARIE)
    }

    # The demo data provider checks the token both ways and finds Marie's tax record.
    api = requests.get(
        server.url + "/demo-api/impot-particulier/situations",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=15,
    )
    assert api.status_code == 200, api.text
    assert api.json()["revenuFiscalReference"] == 28450
    assert api.json()["verification"]["checktoken"]["sub"] == body["sub"]

    # RFC 7009 revocation: inactive from the next request, and the demo API refuses it.
    revoked = requests.post(
        server.url + "/revoke", data={"token": access_token}, auth=(client_id, secret), timeout=10
    )
    assert revoked.status_code == 200
    assert introspect(server, dgfip, access_token).json() == INACTIVE
    refused = requests.get(
        server.url + "/demo-api/impot-particulier/situations",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=15,
    )
    assert refused.status_code == 401

    # The habilitation is revoked by webhook: dgfip_rfr was the only data scope -> inactive.
    second = sign_in_and_get_tokens(server, sp)["access_token"]
    assert introspect(server, dgfip, second).json()["active"] is True
    assert deliver(server, "revoke-api-impot-particulier").status_code == 200
    assert introspect(server, dgfip, second).json() == INACTIVE
    assert verify_checktoken_inactive(server, dgfip, second)


def verify_checktoken_inactive(server, dp: dict, token: str) -> bool:
    answer = checktoken(server, dp, token)
    claims = verify(
        server, answer.text, typ="token-introspection+jwt", audience=dp["client_id"], require=["iat"]
    )
    return claims["token_introspection"] == INACTIVE
