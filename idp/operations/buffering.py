"""The WSGI application served through Granian's RSGI interface, each body read before it runs.

Why: under Granian's WSGI interface, ``wsgi.input.read()`` waits on the socket inside one of
the worker's few Python threads, with no deadline (Granian 2.8 has a header read timeout,
``http1_header_read_timeout``, and nothing for the body: ``WSGIBody.read`` blocks on the
runtime until the body ends). Eight connections that send their headers and then part of a
body held all eight threads of two workers, and the server stopped answering anything for
as long as those clients liked.

So the body is read here, on the worker's event loop, where a waiting client costs a
pending future and no thread:

1. The declared ``Content-Length`` is compared with the path's limit (:mod:`idp.bodies`).
   Above it, nothing is read and the application answers 413 itself from the declared
   length, as it always did. A chunked body is read up to one byte past the limit and
   handed over with the ``Content-Length`` of what was read (and no ``Transfer-Encoding``),
   as a buffering proxy does, so that the application refuses it by the same rule.
2. The body must arrive within ``IDP_BODY_READ_TIMEOUT`` seconds of the headers; past
   that, the client gets a 408 (``Connection: close``) and the connection is dropped.
3. Only then does the WSGI application run, on one of up to ``threads`` Python threads
   (:mod:`idp.operations.app_threads`: one at a time unless it is stuck), with the body in
   memory (``wsgi.input`` is a ``BytesIO``). Its answer is collected there and handed to
   Granian from that thread, so the event loop only reads bodies and schedules.

The environ is what Granian's WSGI interface builds (PEP 3333; repeated headers joined by
commas, cookies by ``;``), without Granian's copy of the process environment.
"""

from __future__ import annotations

import asyncio
import collections
import io
import logging
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask

from idp.bodies import larger_limits
from idp.oauth2.http import JSONError, error_response
from idp.operations.app_threads import ApplicationThreads
from idp.security_headers import security_headers
from idp.telemetry import metrics
from idp.telemetry.logs import flush_logs

log = logging.getLogger(__name__)

#: How long the coroutine of an answered request may wait to end (seconds). Granian sends
#: the answer when ``response_bytes`` is called, on the application's thread; the
#: coroutine's end only frees it (a bare RSGI application that ended each coroutine 0.5 s
#: after answering served wrk at full speed, latency 1.2 ms). So the loop is not woken for
#: each answer: the coroutines answered meanwhile end at the next request's arrival, or
#: after this delay, with one wake-up for all of them.
ANSWERED_COROUTINES_DELAY = 0.01
#: RSGI's ``http_version`` → the WSGI ``SERVER_PROTOCOL``.
PROTOCOLS = {"1": "HTTP/1.0", "1.1": "HTTP/1.1", "2": "HTTP/2", "3": "HTTP/3"}
BASE_ENVIRON = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "SCRIPT_NAME": "",
    "SERVER_SOFTWARE": "Granian",
    "wsgi.errors": sys.stderr,
    "wsgi.input_terminated": True,  # the body is whole: Werkzeug reads it without a length
    "wsgi.multiprocess": True,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
}


def _host_and_port(address: str) -> tuple[str, str]:
    """``"127.0.0.1:5000"`` or ``"[::1]:5000"`` → host and port."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


def wsgi_environ(scope: Any, body: bytes, dechunked: bool = False, headers: Any = None) -> dict[str, Any]:
    """The PEP 3333 environ of an RSGI request whose body has been read.

    ``dechunked``: the body came chunked; the environ gives its length instead. ``headers``:
    ``scope.headers`` if already at hand (each access copies them).
    """
    server_name, server_port = _host_and_port(scope.server)
    environ = {
        **BASE_ENVIRON,
        "REQUEST_METHOD": scope.method,
        # RSGI decodes the path as UTF-8; WSGI wants its bytes as latin-1 (PEP 3333).
        "PATH_INFO": scope.path.encode().decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": PROTOCOLS.get(scope.http_version, "HTTP/1.1"),
        "REMOTE_ADDR": _host_and_port(scope.client)[0],
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in (headers or scope.headers).items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
            if key in environ:
                environ[key] += (";" if key == "HTTP_COOKIE" else ",") + value
            else:
                environ[key] = value
    if "HTTP_HOST" not in environ:
        environ["HTTP_HOST"] = scope.authority or ""
    if dechunked:
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def run_wsgi(app: Callable, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Call the WSGI application and collect its whole answer."""
    started: list = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
        started[:] = [status, headers]
        return written.append

    written: list[bytes] = []
    result = app(environ, start_response)
    try:
        body = b"".join([*written, *result])
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started
    return int(status.split(" ", 1)[0]), headers, body


class _BodyRead:
    """One body being read: its deadline (loop time) and what it is waiting for."""

    __slots__ = ("at", "expired", "pending")

    def __init__(self, at: float) -> None:
        self.at = at
        self.expired = False
        self.pending: Any = None

    async def wait(self, awaitable: Any) -> Any:
        """Await Granian's future; ``TimeoutError`` once the deadline passed (:meth:`expire`)."""
        if self.expired:
            awaitable.cancel()
            raise TimeoutError
        self.pending = awaitable
        try:
            return await awaitable
        except asyncio.CancelledError:
            if self.expired:
                raise TimeoutError from None
            raise
        finally:
            self.pending = None

    def expire(self) -> None:
        self.expired = True
        if self.pending is not None:
            self.pending.cancel()


class BufferedWSGI:
    """An RSGI application (Granian) that reads each body, then runs ``app`` on a thread."""

    def __init__(self, app: Flask, threads: int) -> None:
        self.app = app
        self.body_timeout = float(app.config["BODY_READ_TIMEOUT"])
        self.default_limit = app.config["MAX_CONTENT_LENGTH"]
        self.limits = larger_limits(app)
        timeout = error_response(JSONError(408, "invalid_request", "the request body did not arrive in time"))
        self.timeout_answer = (
            timeout.status,
            [
                *timeout.headers,
                ("Content-Length", str(len(timeout.body))),
                ("Connection", "close"),
                *security_headers(app.config["SESSION_COOKIE_SECURE"]),
            ],
            timeout.body,
        )
        self._threads = ApplicationThreads(self._serve, threads)
        self._finished: collections.deque[asyncio.Future] = collections.deque()
        self._wakeup_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        #: The bodies being read. One periodic check ends those past their deadline: cheaper
        #: than a timer per request, and the cut-off comes at most one tick late.
        self._reads: set[_BodyRead] = set()
        self._tick = min(1.0, self.body_timeout / 10)

    # Granian's RSGI hooks -------------------------------------------------------------

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        loop.call_later(self._tick, self._expire_late_bodies)
        self._threads.start(loop)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._threads.stop()
        metrics.process_exited()
        flush_logs()

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return  # no websockets here (served with websockets off)
        headers = scope.headers
        try:
            body, dechunked = await self._read_body(scope, headers, protocol)
        except TimeoutError:
            protocol.response_bytes(*self.timeout_answer)
            return
        except Exception:  # the client went away (Granian's RSGIProtocolError)
            return
        self._end_answered()
        done = self._loop.create_future()
        self._threads.submit((scope, headers, body, dechunked, protocol, done))
        await done

    # The body ----------------------------------------------------------------------------

    def _expire_late_bodies(self) -> None:
        now = self._loop.time()
        for read in [read for read in self._reads if read.at <= now]:
            read.expire()
        self._loop.call_later(self._tick, self._expire_late_bodies)

    async def _read_body(self, scope: Any, headers: Any, protocol: Any) -> tuple[bytes, bool]:
        """The body, and whether it came chunked; raises ``TimeoutError`` past the deadline."""
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            return b"", False
        limit = self.limits.get(scope.path, self.default_limit)
        if declared is not None and (declared == "0" or not declared.isdigit() or int(declared) > limit):
            return b"", False  # the application answers from the declared length (413)
        read = _BodyRead(self._loop.time() + self.body_timeout)
        self._reads.add(read)
        try:
            if declared is not None:
                return await read.wait(protocol()), False
            return await self._read_chunked(protocol, limit, read), True
        finally:
            self._reads.discard(read)

    async def _read_chunked(self, protocol: Any, limit: int, read: _BodyRead) -> bytes:
        """Up to ``limit + 1`` bytes: enough for the application to see it is too large."""
        chunks: list[bytes] = []
        size = 0
        stream = protocol.__aiter__()
        while size <= limit:
            try:
                chunk = await read.wait(stream.__anext__())
            except StopAsyncIteration:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)

    # The application ---------------------------------------------------------------------

    def _serve(self, item: tuple) -> None:
        """On an application thread: run the application, answer, tell the loop."""
        scope, headers, body, dechunked, protocol, done = item
        try:
            protocol.response_bytes(*run_wsgi(self.app, wsgi_environ(scope, body, dechunked, headers)))
        except Exception:
            log.exception("the WSGI application failed on %s %s", scope.method, scope.path)
            protocol.response_bytes(500, [], b"")
        self._finished.append(done)
        if not self._wakeup_pending:
            self._wakeup_pending = True
            self._loop.call_soon_threadsafe(self._loop.call_later, ANSWERED_COROUTINES_DELAY, self._finish)

    def _finish(self) -> None:
        """On the loop: end the coroutines whose answer was sent (one wake-up for many).

        The flag is cleared before the queue is emptied, so a thread that finds it set has
        put its future in before this drain began.
        """
        self._wakeup_pending = False
        self._end_answered()

    def _end_answered(self) -> None:
        finished = self._finished
        while finished:
            done = finished.popleft()
            if not done.done():
                done.set_result(None)
