"""Independent JOSE peers (``peers.mjs``: panva's jose and openid-client, from
``tests/federation/node_modules``, ``make install-dev``) and a client's key server, for the
tests of idp's signed and encrypted answers.

Nothing here uses joserfc, which idp encrypts with: the keys are made by jose, the answers
decrypted and verified by jose (or PyJWT), as a service or data provider would.
"""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PEERS = Path(__file__).with_name("peers.mjs")


def node(command: str, payload: dict) -> dict:
    """One command of ``peers.mjs``: JSON in, JSON out; a failure shows node's error."""
    result = subprocess.run(
        ["node", str(PEERS), command], input=json.dumps(payload), capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise AssertionError(f"peers.mjs {command} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def key_pair(alg: str) -> dict:
    """``{"public", "private"}`` JWKs for encryption with ``alg`` (``use: enc``, a ``kid``)."""
    return node("keys", {"alg": alg})


class KeyServer:
    """A client's ``jwks_uri``: its public JWK Set, served on a loopback port."""

    def __init__(self) -> None:
        self.jwks: dict = {"keys": []}
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                body = json.dumps(server.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
