"""A revoked access token introspects inactive from the next request on every worker.

Against ``idp serve --workers 2`` with long key and registry caches: 20 kept-alive
connections (spread over both workers) first see the token active, then it is revoked, and
every one of them, plus 20 fresh connections, sees it inactive at once. Revocation must not
depend on any per-process cache.
"""

from __future__ import annotations

import base64
import http.client
import json
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.e2e_server import start_server

pytestmark = pytest.mark.e2e
CONNECTIONS = 20


@pytest.fixture
def server(tmp_path):
    live = start_server(
        tmp_path, workers=2, env={"IDP_KEYS_CACHE_SECONDS": "300", "IDP_REGISTRY_CACHE_SECONDS": "300"}
    )
    yield live
    live.stop()


def _post(conn: http.client.HTTPConnection, path: str, form: dict, basic: tuple | None = None) -> dict:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(basic).encode()).decode()
    conn.request("POST", path, body=urlencode(form), headers=headers)
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, (response.status, body)
    return json.loads(body) if body else {}


def test_revoked_token_is_inactive_on_every_worker(server):
    provider = json.loads((Path(server.env["IDP_INSTANCE_PATH"]) / "demo_data_provider.json").read_text())
    service = server.idp_json(
        "clients", "create", "--name", "fs", "--allowed-scopes", "dgfip_statistiques", "--json"
    )
    service_auth = (service["client_id"], service["client_secret"])
    port = urlsplit(server.url).port

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def introspect(conn) -> dict:
        return _post(conn, "/introspect", {"token": token, **provider})

    kept = [connect() for _ in range(CONNECTIONS)]
    try:
        token = _post(
            kept[0],
            "/token",
            {"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
            service_auth,
        )["access_token"]
        assert all(introspect(conn)["active"] is True for conn in kept)
        _post(kept[0], "/revoke", {"token": token}, service_auth)
        assert [introspect(conn) for conn in kept] == [{"active": False}] * CONNECTIONS
        fresh = []
        for _ in range(CONNECTIONS):
            conn = connect()
            fresh.append(introspect(conn))
            conn.close()
        assert fresh == [{"active": False}] * CONNECTIONS
    finally:
        for conn in kept:
            conn.close()
