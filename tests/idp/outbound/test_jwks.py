"""private_key_jwt with a ``jwks_uri`` served over HTTP on loopback (RFC 7523, RFC 7591 §2):
the key set is refetched once when an assertion names a new ``kid``, and no more often than
the rate limit when the ``kid`` is made up."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idp.outbound import jwks as remote_jwks
from tests.idp.oauth2.introspection.conftest import make_data_provider

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class JwksServer:
    """A JWKS document on a loopback port; counts the GETs it answers."""

    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.fetches += 1
                body = json.dumps({"keys": [server.public(kid) for kid in server.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/jwks"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add_key(self, kid: str) -> None:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())

    def public(self, kid: str) -> dict:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.keys[kid].public_key(), as_dict=True)
        return dict(jwk, kid=kid, alg="ES256")

    def assertion(self, client_id: str, kid: str, key=None) -> str:
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": "http://127.0.0.1:5000/introspect",
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, key or self.keys[kid], algorithm="ES256", headers={"kid": kid})


@pytest.fixture
def jwks_server():
    server = JwksServer()
    server.add_key("k1")
    yield server
    server.httpd.shutdown()


def introspect(client, client_id: str, assertion: str):
    form = {"token": "x", "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    return client.post("/introspect", data=form)


def test_a_rotated_key_is_fetched_at_its_first_assertion(app, client, jwks_server):
    dp = make_data_provider(app, "dgfip", auth_method="private_key_jwt", jwks_uri=jwks_server.url)
    assert introspect(client, dp.client_id, jwks_server.assertion(dp.client_id, "k1")).status_code == 200
    assert jwks_server.fetches == 1
    jwks_server.add_key("k2")  # the client rotates: its new key signs at once
    response = introspect(client, dp.client_id, jwks_server.assertion(dp.client_id, "k2"))
    assert response.status_code == 200
    assert jwks_server.fetches == 2


def test_made_up_kids_do_not_flood_the_client_host(app, client, jwks_server, monkeypatch):
    monkeypatch.setattr(remote_jwks, "MIN_REFETCH_SECONDS", 3600)
    dp = make_data_provider(app, "dgfip", auth_method="private_key_jwt", jwks_uri=jwks_server.url)
    assert introspect(client, dp.client_id, jwks_server.assertion(dp.client_id, "k1")).status_code == 200
    stranger = ec.generate_private_key(ec.SECP256R1())
    for attempt in range(5):
        forged = jwks_server.assertion(dp.client_id, f"made-up-{attempt}", key=stranger)
        assert introspect(client, dp.client_id, forged).status_code == 401
    assert jwks_server.fetches == 2  # the first made-up kid was worth one look, no more


def test_an_unreachable_jwks_uri_is_invalid_client(app, client, jwks_server):
    dp = make_data_provider(app, "dgfip", auth_method="private_key_jwt", jwks_uri=jwks_server.url)
    assertion = jwks_server.assertion(dp.client_id, "k1")
    jwks_server.httpd.shutdown()
    jwks_server.httpd.server_close()
    response = introspect(client, dp.client_id, assertion)
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_client")
