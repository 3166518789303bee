"""Slow clients against a real ``idp serve``: they wait on the event loop, not in a thread.

Each slow client sends its headers (with a ``Content-Length``) and part of its body, then
nothing. Under Granian's WSGI interface, eight of them held every thread of two workers
and the server answered nothing more. Served through :mod:`idp.operations.buffering`,
64 of them leave ``/jwks``, ``POST /token`` and the sign-in page answering at once, and
each is answered 408 and disconnected once ``IDP_BODY_READ_TIMEOUT`` has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e_server import start_server

pytestmark = pytest.mark.e2e

SLOW_CLIENTS = 64
BODY_READ_TIMEOUT = 10  # the documented default (idp.config)
WEBHOOK_SECRET = "a-webhook-secret-of-some-length"


@pytest.fixture
def server(tmp_path):
    live = start_server(tmp_path, workers=2, env={"IDP_DATAPASS_WEBHOOK_SECRETS": WEBHOOK_SECRET})
    yield live
    live.stop()


def _connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", urlsplit(server.url).port), timeout=30)


def _slow_client(server) -> socket.socket:
    """Headers announcing 100 bytes of body, then 11 of them, then silence."""
    sock = _connect(server)
    sock.sendall(
        b"POST /token HTTP/1.1\r\nHost: idp\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
        b"grant_type="
    )
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _timed(call) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_slow_bodies_neither_hold_the_server_nor_last(server, measure):
    service = server.idp_json(
        "clients", "create", "--name", "fs", "--allowed-scopes", "dgfip_statistiques", "--json"
    )
    opened = time.monotonic()
    slow = [_slow_client(server) for _ in range(SLOW_CLIENTS)]
    try:
        time.sleep(0.5)  # every slow request has reached the server
        answers = {
            "/jwks": _timed(lambda: requests.get(server.url + "/jwks", timeout=5)),
            "/token": _timed(
                lambda: requests.post(
                    server.url + "/token",
                    data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
                    auth=(service["client_id"], service["client_secret"]),
                    timeout=5,
                )
            ),
            "/login": _timed(lambda: requests.get(server.url + "/login", timeout=5)),
        }
        assert {path: response.status_code for path, (response, _) in answers.items()} == {
            "/jwks": 200,
            "/token": 200,
            "/login": 200,
        }
        assert {path: seconds < 1 for path, (_, seconds) in answers.items()} == dict.fromkeys(answers, True)
        measure("slow-body connections held", SLOW_CLIENTS)
        for path, (_, seconds) in answers.items():
            measure(f"{path} answered meanwhile in (s)", round(seconds, 3))

        received = [_read_until_closed(sock) for sock in slow]
        cut_off_after = time.monotonic() - opened
    finally:
        for sock in slow:
            sock.close()
    assert {answer.split(b"\r\n", 1)[0] for answer in received} == {b"HTTP/1.1 408 Request Timeout"}
    assert b'"error": "invalid_request"' in received[0] or b'"error":"invalid_request"' in received[0]
    assert BODY_READ_TIMEOUT <= cut_off_after < BODY_READ_TIMEOUT + 5
    measure("slow clients cut off with 408 after (s)", round(cut_off_after, 1))


def test_a_body_trickled_byte_by_byte_is_cut_off_too(tmp_path):
    """The deadline covers the whole body, however regularly its bytes come."""
    server = start_server(tmp_path, workers=1, seed=False, env={"IDP_BODY_READ_TIMEOUT": "2"})
    try:
        sock = _connect(server)
        sock.sendall(
            b"POST /token HTTP/1.1\r\nHost: idp\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
        )
        started = time.monotonic()
        with pytest.raises(OSError):  # the server closes the connection under the sender
            for _ in range(100):
                sock.sendall(b"a")
                time.sleep(0.25)
        assert time.monotonic() - started < 2 + 2
        sock.close()
    finally:
        server.stop()


def test_body_limits_are_the_applications(server):
    """The server reads up to each path's own limit (idp.bodies), the application refuses."""
    too_large = requests.post(server.url + "/token", data={"code": "x" * 100_000}, timeout=5)
    assert (too_large.status_code, too_large.json()["error"]) == (413, "invalid_request")

    def chunks():
        for _ in range(100):
            yield b"x" * 1000

    chunked_too_large = requests.post(
        server.url + "/token",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert chunked_too_large.status_code == 413

    chunked = requests.post(
        server.url + "/token",
        data=iter([b"grant_type=client_", b"credentials"]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert (chunked.status_code, chunked.json()["error"]) == (401, "invalid_client")

    delivery = json.dumps({"test": True, "padding": "x" * (1024 * 1024)}).encode()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), delivery, hashlib.sha256).hexdigest()
    accepted = requests.post(
        server.url + "/webhooks/datapass",
        data=delivery,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        timeout=10,
    )
    assert (accepted.status_code, accepted.json()) == (200, {"outcome": "test_received"})
