"""idp/outbound/http.py against a real HTTP/1.1 server on loopback: connections kept and
reused, no cookie carried, bodies bounded, no redirect followed, a whole exchange under a
deadline, a dropped connection replaced, a timeout not repeated, and a forked process on a
pool of its own."""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from idp.outbound import http
from idp.outbound.documents import MAX_BYTES, TIMEOUT_SECONDS, DocumentUnavailable, fetch_json


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, *_args) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append((self.path, self.headers.get("Cookie")))
        if self.path == "/slow":
            time.sleep(TIMEOUT_SECONDS + 1)
            return
        if self.path.startswith("/drip"):  # never silent for long, never done
            self._drip()
            return
        if self.path == "/truncated":  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"path": ')
            self.close_connection = True
            return
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"path": self.path}).encode()
        if self.path == "/large":
            body = json.dumps({"padding": "x" * MAX_BYTES}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/cookie":
            self.send_header("Set-Cookie", "citizen=marie; Path=/")
        self.end_headers()
        self.wfile.write(body)
        if self.path == "/then-drop":  # closes without saying so: the client's copy goes stale
            self.close_connection = True

    def _drip(self) -> None:
        """A byte every 0.2 s, well within TIMEOUT_SECONDS: of the headers for /drip-headers,
        else of a 100-byte body (20 s in all)."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        try:
            if self.path == "/drip-headers":
                for byte in head:
                    self.wfile.write(bytes([byte]))
                    time.sleep(0.2)
            else:
                self.wfile.write(head)
                for _ in range(100):
                    self.wfile.write(b" ")
                    time.sleep(0.2)
        except OSError:  # the client gave up
            pass
        self.close_connection = True


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.lock = threading.Lock()
    httpd.connections = 0
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_documents_from_one_server_share_one_connection(server):
    for n in range(5):
        assert fetch_json(_url(server, f"/doc/{n}")) == {"path": f"/doc/{n}"}

    assert len(server.requests) == 5
    assert server.connections == 1


def test_a_cookie_set_by_a_server_is_never_sent_back(server):
    fetch_json(_url(server, "/cookie"))
    fetch_json(_url(server, "/after"))

    assert server.requests == [("/cookie", None), ("/after", None)]
    assert len(http.session().cookies) == 0


def test_a_body_over_the_limit_is_refused_and_the_next_document_comes(server):
    with pytest.raises(DocumentUnavailable, match="larger than"):
        fetch_json(_url(server, "/large"))

    assert fetch_json(_url(server, "/next")) == {"path": "/next"}


def test_a_body_cut_short_is_refused_and_the_next_document_comes(server):
    with pytest.raises(DocumentUnavailable, match=r"ChunkedEncodingError|ConnectionError"):
        fetch_json(_url(server, "/truncated"))

    assert fetch_json(_url(server, "/next")) == {"path": "/next"}


def test_a_redirect_is_not_followed(server):
    with pytest.raises(DocumentUnavailable, match="status 302"):
        fetch_json(_url(server, "/moved"))

    assert [path for path, _ in server.requests] == ["/moved"]


def test_a_connection_the_server_dropped_is_replaced(server):
    fetch_json(_url(server, "/then-drop"))
    time.sleep(0.1)  # the server has closed its end

    assert fetch_json(_url(server, "/again")) == {"path": "/again"}
    assert server.connections == 2


def test_a_read_that_timed_out_is_not_sent_again(server):
    started = time.monotonic()
    with pytest.raises(DocumentUnavailable, match=r"Timeout|ConnectionError"):
        fetch_json(_url(server, "/slow"))

    assert time.monotonic() - started < 2 * TIMEOUT_SECONDS
    assert [path for path, _ in server.requests] == ["/slow"]


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_server_sending_a_byte_at_a_time_is_cut_off_at_the_deadline(server, monkeypatch, path):
    monkeypatch.setattr(http, "EXCHANGE_SECONDS", 1.0)
    started = time.monotonic()
    with pytest.raises(
        DocumentUnavailable, match="ChunkedEncodingError" if path == "/drip" else "ReadTimeout"
    ):
        fetch_json(_url(server, path))

    # The body's drip would last 20 s, the headers' 15 s; cut off in its headers, the GET is
    # not sent again as for a dropped connection (RetryOnDroppedConnection).
    assert time.monotonic() - started < 1.5
    assert len(server.requests) == 1


def test_a_connection_whose_exchange_ended_outlives_the_deadline(server, monkeypatch):
    monkeypatch.setattr(http, "EXCHANGE_SECONDS", 0.5)
    fetch_json(_url(server, "/first"))
    time.sleep(1.0)  # an armed deadline would have shut the idle connection down by now

    assert fetch_json(_url(server, "/second")) == {"path": "/second"}
    assert server.connections == 1


def test_a_forked_process_gets_a_pool_of_its_own():
    parent = http.session()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.close(reader)
        own = http.session()
        os.write(
            writer,
            b"own"
            if own is not parent and own.adapters["https://"] is not parent.adapters["https://"]
            else b"shared",
        )
        os._exit(0)
    os.close(writer)
    answer = os.read(reader, 16)
    os.close(reader)
    os.waitpid(child, 0)

    assert answer == b"own"
    assert http.session() is parent  # the parent's own thread keeps its session
