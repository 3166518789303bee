"""The RSGI adapter of ``idp serve`` (:mod:`idp.operations.buffering`), on an asyncio loop.

Granian's scope and protocol are replaced by small stand-ins with the same methods; the
real server is exercised by ``test_slow_clients.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json

import pytest

from idp.operations.buffering import BufferedWSGI, wsgi_environ


class Headers:
    """Granian's ``RSGIHeaders``: lower-case names, repeated names kept."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def get(self, name: str, default=None):
        return next((value for key, value in self._items if key == name), default)

    def __contains__(self, name: str) -> bool:
        return any(key == name for key, _ in self._items)


class Scope:
    proto = "http"
    http_version = "1.1"
    scheme = "http"
    server = "127.0.0.1:5000"
    client = "[::1]:40000"
    authority = None

    def __init__(self, method: str, path: str, headers: list[tuple[str, str]], query: str = "") -> None:
        self.method = method
        self.path = path
        self.query_string = query
        self.headers = Headers(headers)


class Protocol:
    """Granian's ``RSGIHTTPProtocol``: ``body`` ``None`` is a client that never sends it."""

    def __init__(self, body: bytes | None = b"", chunks: list[bytes] | None = None) -> None:
        self.body = body
        self.chunks = list(chunks or [])
        self.answers: list[tuple[int, list, bytes]] = []

    def _future(self, value):
        future = asyncio.get_running_loop().create_future()
        if value is not None:
            future.set_result(value)
        return future

    def __call__(self):
        return self._future(self.body)

    def __aiter__(self):
        return self

    def __anext__(self):
        if not self.chunks:
            raise StopAsyncIteration
        return self._future(self.chunks.pop(0))

    def response_bytes(self, status: int, headers: list, body: bytes) -> None:
        self.answers.append((status, headers, body))


@pytest.fixture
def app_settings():
    return {"BODY_READ_TIMEOUT": 1}


def serve(app, *requests: tuple[Scope, Protocol]) -> float:
    """Run the requests concurrently through the adapter; the seconds it took."""

    async def run() -> float:
        loop = asyncio.get_running_loop()
        server = BufferedWSGI(app, threads=2)
        server.__rsgi_init__(loop)
        started = loop.time()
        try:
            await asyncio.gather(*(server.__rsgi__(scope, protocol) for scope, protocol in requests))
        finally:
            server.__rsgi_del__(loop)
        return loop.time() - started

    # On a thread of its own: Playwright's sync API (the browser tests, when they ran
    # earlier in this process) leaves its event loop running on the main thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


FORM = ("content-type", "application/x-www-form-urlencoded")


def test_a_body_that_never_comes_gets_408_and_does_not_hold_the_others(app):
    slow = [(Scope("POST", "/token", [FORM, ("content-length", "100")]), Protocol(None)) for _ in range(8)]
    jwks = Protocol()
    seconds = serve(app, *slow, (Scope("GET", "/jwks", []), jwks))
    assert 1 <= seconds < 2
    assert [protocol.answers[0][0] for _, protocol in slow] == [408] * 8
    _, headers, body = slow[0][1].answers[0]
    assert ("Connection", "close") in headers
    assert ("X-Content-Type-Options", "nosniff") in headers
    assert json.loads(body) == {
        "error": "invalid_request",
        "error_description": "the request body did not arrive in time",
    }
    assert jwks.answers[0][0] == 200
    assert "keys" in json.loads(jwks.answers[0][2])


def test_a_body_within_the_deadline_reaches_the_application(app):
    protocol = Protocol(b"grant_type=client_credentials")
    serve(app, (Scope("POST", "/token", [FORM, ("content-length", "29")]), protocol))
    status, _, body = protocol.answers[0]
    assert (status, json.loads(body)["error"]) == (401, "invalid_client")


def test_a_declared_length_above_the_limit_is_not_read_and_gets_413(app):
    protocol = Protocol(None)  # reading it would time out: it must not be read
    serve(app, (Scope("POST", "/token", [FORM, ("content-length", str(10**9))]), protocol))
    assert protocol.answers[0][0] == 413


def test_a_chunked_body_is_read_to_one_byte_past_the_limit(app):
    big = Protocol(chunks=[b"x" * 1000] * 1000)
    small = Protocol(chunks=[b"grant_type=", b"client_credentials"])
    chunked = [FORM, ("transfer-encoding", "chunked")]
    serve(app, (Scope("POST", "/token", chunked), big), (Scope("POST", "/token", chunked), small))
    assert big.answers[0][0] == 413
    assert len(big.chunks) == 1000 - 66  # 66 000 bytes read: the limit is 65 536
    assert (small.answers[0][0], json.loads(small.answers[0][2])["error"]) == (401, "invalid_client")


def test_environ_is_what_granians_wsgi_interface_builds():
    scope = Scope(
        "POST",
        "/caf\u00e9",
        [
            ("content-type", "text/plain"),
            ("content-length", "2"),
            ("accept", "a"),
            ("accept", "b"),
            ("cookie", "x=1"),
            ("cookie", "y=2"),
            ("host", "idp.example"),
        ],
        query="a=1&b=%C3%A9",
    )
    environ = wsgi_environ(scope, b"ok")
    assert environ["wsgi.input"].read() == b"ok"
    assert {key: value for key, value in environ.items() if key.isupper()} == {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SCRIPT_NAME": "",
        "SERVER_SOFTWARE": "Granian",
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/caf\u00c3\u00a9",  # the UTF-8 bytes as latin-1 (PEP 3333)
        "QUERY_STRING": "a=1&b=%C3%A9",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "::1",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "2",
        "HTTP_ACCEPT": "a,b",
        "HTTP_COOKIE": "x=1;y=2",
        "HTTP_HOST": "idp.example",
    }


def test_a_dechunked_body_has_a_length_and_no_transfer_encoding():
    scope = Scope("POST", "/token", [("transfer-encoding", "chunked")])
    environ = wsgi_environ(scope, b"abc", dechunked=True)
    assert (environ["CONTENT_LENGTH"], "HTTP_TRANSFER_ENCODING" in environ) == ("3", False)
    assert environ["HTTP_HOST"] == ""
