"""No token, code, secret, password or pivot identity in any log line (DESIGN.md, "Security
defaults"; issue 16): a full run against a real ``idp serve``, then a grep of its whole log.

The run: DataPass webhooks (approve, with a wrong signature too), a failed then a correct
password sign-in, consent, the code, ``/token``, ``/userinfo``, ``/introspect``,
``/checktoken``, ``/revoke``, the CLI's client commands. Every line of the log is JSON
(``IDP_LOG_FORMAT``'s default), every request has its line with its request id, and no
line holds a query string.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from idp.demo.seed import DEMO_CITIZENS, DEMO_PASSWORD
from tests.e2e_server import start_server
from tests.idp.e2e.test_data_provider_e2e import (
    SCOPE,
    WEBHOOK_SECRET,
    checktoken,
    csrf_token,
    deliver,
    introspect,
    sign_in,
)

pytestmark = pytest.mark.e2e
MARIE = DEMO_CITIZENS[0]
WRONG_PASSWORD = "not-marie-s-password-Zq81"


def test_a_full_run_logs_no_secret_and_no_identity(tmp_path):
    server = start_server(
        tmp_path,
        workers=2,
        env={"IDP_DATAPASS_WEBHOOK_SECRETS": WEBHOOK_SECRET, "IDP_DATAPASS_ENVIRONMENT": "production"},
    )
    try:
        secret_values = run_everything(server)
    finally:
        server.stop()
    log = server.log_path.read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is JSON

    for name, secret in secret_values.items():
        boundary = rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])"
        assert not re.search(boundary, log), f"{name} appears in the server log"

    requests_logged = [line for line in lines if line["logger"] == "idp.request"]
    assert len(requests_logged) >= 15
    assert all(re.fullmatch(r"[0-9a-f]{32}|e2e-[0-9]+", line["request_id"]) for line in requests_logged)
    assert not [line for line in requests_logged if "?" in line["path"]]
    assert {"request_id": "e2e-1", "path": "/authorize", "method": "GET"}.items() <= next(
        line for line in requests_logged if line["request_id"] == "e2e-1"
    ).items()
    token_lines = [line for line in requests_logged if line["route"] == "/token" and line["status"] == 200]
    assert token_lines and all(line["client_id"] for line in token_lines)
    audits = {line.get("audit") for line in lines}
    assert {"webhook_delivery", "habilitation_linked", "allowed_scopes_changed"} <= audits


def run_everything(server) -> dict[str, str]:
    """The whole run; returns every value that must never be logged, by name."""
    values = {"webhook secret": WEBHOOK_SECRET, "password": DEMO_PASSWORD, "wrong password": WRONG_PASSWORD}
    values.update({f"pivot {key}": MARIE[key] for key in ("given_name", "family_name", "birthdate", "email")})
    values.update({"pivot birthplace": MARIE["birthplace"], "username": MARIE["username"]})

    forged = requests.post(
        server.url + "/webhooks/datapass",
        data=b"{}",
        headers={"X-Hub-Signature-256": "sha256=00"},
        timeout=10,
    )
    assert forged.status_code == 401
    approved = deliver(server, "approve-france-connect")
    assert approved.status_code == 200, approved.text
    client_id = approved.json()["token_id"]
    redirect_uri = server.url + "/callback-of-the-service-provider"
    server.idp_json("clients", "update", client_id, "--redirect-uri", redirect_uri, "--json")
    secret = server.idp_json("clients", "rotate-secret", client_id, "--json")["client_secret"]
    assert deliver(server, "approve-api-impot-particulier").status_code == 200
    dgfip = json.loads((Path(server.env["IDP_INSTANCE_PATH"]) / "demo_data_provider.json").read_text())
    cnaf = server.idp_json(
        "clients", "create", "--name", "CNAF", "--role", "data-provider", "--namespace", "cnaf", "--json"
    )
    values.update({"service provider secret": secret, "dgfip secret": dgfip["client_secret"]})
    values["cnaf secret"] = cnaf["client_secret"]

    browser = requests.Session()
    login = browser.get(server.url + "/login", timeout=10)
    refused = browser.post(
        server.url + "/login",
        data={
            "username": MARIE["username"],
            "password": WRONG_PASSWORD,
            "csrf_token": csrf_token(login.text),
        },
        timeout=10,
    )
    assert refused.status_code == 401

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    query = {
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": SCOPE,
        "state": state, "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256",
    }  # fmt: skip
    first = requests.get(
        server.url + "/authorize?" + urlencode(query),
        headers={"X-Request-Id": "e2e-1"},
        allow_redirects=False,
        timeout=10,
    )
    assert first.status_code in (302, 303) and first.headers["X-Request-Id"] == "e2e-1"
    location = sign_in(server.url + "/authorize?" + urlencode(query), redirect_uri)
    code = parse_qs(urlsplit(location).query)["code"][0]
    values.update({"code": code, "code_verifier": verifier, "state": state, "nonce": nonce})

    tokens = requests.post(
        server.url + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    access_token, id_token = tokens.json()["access_token"], tokens.json()["id_token"]
    values.update({"access token": access_token, "id token": id_token})
    values.update(
        {
            "access token signature": access_token.rsplit(".", 1)[1],
            "id token signature": id_token.rsplit(".", 1)[1],
        }
    )

    userinfo = requests.get(
        server.url + "/userinfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert userinfo.status_code == 200
    introspected = introspect(server, dgfip, access_token)
    assert introspected.json()["active"] is True
    values["pairwise sub of the data provider"] = introspected.json()["sub"]
    assert checktoken(server, dgfip, access_token).status_code == 200
    revoked = requests.post(
        server.url + "/revoke", data={"token": access_token}, auth=(client_id, secret), timeout=10
    )
    assert revoked.status_code == 200
    return values
