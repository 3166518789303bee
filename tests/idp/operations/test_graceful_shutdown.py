"""``idp serve`` stops gracefully on SIGTERM (what systemd and a rolling restart send): it
stops accepting connections at once, so that a proxy moves to another instance, finishes
the requests in flight, closes idle keep-alive connections, and exits 0."""

from __future__ import annotations

import base64
import http.client
import json
import signal
import socket
import time
from urllib.parse import urlencode, urlsplit

import pytest

from idp.demo.seed import MACHINE_SCOPE
from tests.e2e_server import start_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path):
    live = start_server(tmp_path, workers=2)
    yield live
    live.stop()


def _response(sock: socket.socket) -> tuple[int, bytes]:
    """Read one HTTP response from ``sock``."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, response.read()


def begin_token_request(url: str, service: dict) -> tuple[socket.socket, bytes]:
    """A client_credentials request to ``url`` whose headers and first bytes of body are
    sent: in flight until the rest (returned) is sent."""
    credentials = base64.b64encode(f"{service['client_id']}:{service['client_secret']}".encode()).decode()
    body = urlencode({"grant_type": "client_credentials", "scope": MACHINE_SCOPE}).encode()
    sock = socket.create_connection(("127.0.0.1", urlsplit(url).port), timeout=10)
    sock.sendall(
        b"POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + f"Authorization: Basic {credentials}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )
    time.sleep(0.5)  # the server has the headers and part of the body
    return sock, body[10:]


def finish_token_request(sock: socket.socket, rest: bytes) -> None:
    """Send the rest of the body: the answer must be a token."""
    sock.sendall(rest)
    status, answer = _response(sock)
    assert status == 200, answer
    assert json.loads(answer)["token_type"].lower() == "bearer"


def test_sigterm_finishes_the_request_in_flight_and_refuses_new_ones(server):
    service = server.idp_json(
        "clients", "create", "--name", "fs", "--allowed-scopes", MACHINE_SCOPE, "--json"
    )
    port = urlsplit(server.url).port
    idle = socket.create_connection(("127.0.0.1", port), timeout=10)
    idle.sendall(b"GET /jwks HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert _response(idle)[0] == 200  # kept alive, now idle
    in_flight, rest = begin_token_request(server.url, service)

    server.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            break
        assert time.monotonic() < deadline, "still accepting connections 5 s after SIGTERM"
        time.sleep(0.05)
    assert server.process.poll() is None, "exited with a request in flight"
    assert idle.recv(1) == b"", "an idle keep-alive connection is left open"

    finish_token_request(in_flight, rest)
    assert server.process.wait(timeout=15) == 0
