"""The connections this server keeps to other servers: one pool per process, no cookies.

**Why.** A sign-in through an identity provider makes two back-channel requests to it (its
token endpoint, then its userinfo endpoint: OpenID Connect Core §3.1.3 and §5.3), and the
key sets and discovery documents are fetched again every few minutes. Each used to open a
connection of its own (``requests.get``, a new ``OAuth2Session``) and close it: a TCP
handshake and, in production, a TLS handshake with its round trips to a provider
elsewhere on the network, for every citizen. Here each worker process keeps the
connections open (HTTP/1.1 keep-alive) in one `requests`/urllib3 pool, shared by its
threads (urllib3's pools are thread-safe), so that a provider's second request of a
sign-in, and the next citizen's, reuse them. Measured on loopback over TLS (a scratch
script, client and server in one process, 300 GETs of a small JSON answer after 20): 8.2 to
9.0 ms of CPU per request on a new connection each time (``requests.get``), 2.8 to 3.0 ms
pooled; a provider elsewhere adds the handshakes' round trips. Over plain HTTP on loopback
(``python -m bench --only federated``, three alternated rounds) the flow is the same
within the noise: 36–46 ms of the hub's CPU per flow before, 38–42 after.

**No cookies.** A :class:`requests.Session` keeps the cookies its servers set, and one
session serving every citizen would send one citizen's back-channel cookies with
another's requests. The sessions here refuse every cookie; each thread has its own
session (``requests.Session`` is not meant to be shared between threads), all mounted on
the process's one adapter.

**Stale connections.** A server may close a connection it kept idle. urllib3 checks a
pooled connection before reusing it and opens a new one when the server has closed it; a
``GET`` that fails on a connection that died at that very moment is sent once more
(:class:`RetryOnDroppedConnection`). A connection that cannot be made and a read that timed
out are not tried again, and a ``POST`` that fails is not sent twice (a code is
single-use): that sign-in fails with the provider's 502 page, as when the provider is down.

**A deadline for the whole exchange.** ``requests`` and urllib3 time each socket read, not
the answer: a server sending a byte every two seconds would hold a worker's thread for as
long as it liked (64 KiB at that pace is a day and a half). Each connection of the pool
therefore shuts its socket down :data:`EXCHANGE_SECONDS` after a request starts, unless the
exchange ended before (:func:`buffered` cancels it, closing the connection does too): the
reader blocked in it gets an end of stream at once. Cut off in the answer's headers, the
request fails as a read that timed out (not sent again); in its body, as for a server that
hung up. A connection shut down while idle in the pool is seen as dropped and replaced at
its next use.

**Bounded.** :func:`buffered` reads at most a given size of a streamed body, so that a
hostile or broken server cannot fill a worker's memory; :func:`get` is the GET every caller
makes (streamed, no redirect, 200 only, bounded). Proxies come from the environment
(``HTTPS_PROXY``, ``NO_PROXY``), as with ``requests`` itself.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from http.client import HTTPException
from http.cookiejar import DefaultCookiePolicy

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

#: Hosts whose connections a process keeps (least recently used dropped), and connections
#: kept per host: one per application thread of a worker can talk to a provider at once.
POOL_HOSTS = 16
CONNECTIONS_PER_HOST = 8
#: How much of a body is read at a time.
CHUNK_BYTES = 16 * 1024
#: Seconds an exchange may take in all, from the request's start to its body's last byte.
EXCHANGE_SECONDS = 10.0


class RetryOnDroppedConnection(Retry):
    """One more try for a ``GET`` that failed on its connection (the server closed a pooled
    one as it was reused); none for a connection that cannot be made, nor for a read that
    timed out: a slow server holds a worker for ``TIMEOUT_SECONDS`` once, not twice.
    Redirects and statuses are the caller's."""

    def __init__(self, **settings) -> None:
        defaults = {"total": 1, "connect": 0, "read": 1, "redirect": 0, "status": 0, "other": 0}
        super().__init__(**{**defaults, "allowed_methods": frozenset({"GET"}), **settings})

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, ReadTimeoutError):  # as urllib3 raises what it does not retry
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


class _WithDeadline:
    """A urllib3 connection whose socket is shut down :data:`EXCHANGE_SECONDS` after each
    request starts, unless that exchange's timer (:attr:`deadline`) was cancelled first. One
    timer thread per exchange: a few exchanges per sign-in, against a thread held for as
    long as a server pleases."""

    #: The running exchange's timer; whoever reads the answer cancels it once done.
    deadline: threading.Timer | None = None
    #: Whether the running exchange's deadline passed (set before its socket is shut down).
    expired = False

    def request(self, *args, **kwargs):
        if self.deadline is not None:  # the previous exchange on this connection is over
            self.deadline.cancel()
        self.expired = False
        self.deadline = threading.Timer(EXCHANGE_SECONDS, self._expire)
        self.deadline.daemon = True
        self.deadline.start()
        return super().request(*args, **kwargs)

    def getresponse(self):
        """The answer's status and headers. Cut off by the deadline, they fail as a timeout
        (urllib3 makes it a ``ReadTimeoutError``, which :class:`RetryOnDroppedConnection`
        does not send again), not as a connection the server dropped."""
        try:
            return super().getresponse()
        except (OSError, HTTPException) as problem:
            if self.expired:
                raise TimeoutError(f"no answer within {EXCHANGE_SECONDS:g} s") from problem
            raise

    def _expire(self) -> None:
        self.expired = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        super().close()


class _HTTPConnection(_WithDeadline, HTTPConnection):
    pass


class _HTTPSConnection(_WithDeadline, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOL_CLASSES = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter on pools of :class:`_WithDeadline` connections, proxied or not."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOL_CLASSES
        return manager


class Unanswered(Exception):
    """The other server gave no answer the caller can take; the message says why, without
    the URL (``status 404``, ``ConnectTimeout``, ``larger than 65536 bytes``)."""


class _Pool:
    """The process's adapter, made again in a forked child (a pool must not cross a fork),
    and each thread's session on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._adapter: HTTPAdapter | None = None
        self._sessions = threading.local()

    def adapter(self) -> HTTPAdapter:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._adapter = _Adapter(
                        pool_connections=POOL_HOSTS,
                        pool_maxsize=CONNECTIONS_PER_HOST,
                        max_retries=RetryOnDroppedConnection(),
                    )
                    self._sessions = threading.local()
                    self._pid = os.getpid()
        return self._adapter

    def session(self) -> requests.Session:
        self.adapter()  # first: a forked child starts with no sessions
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
            mount(session)
        return session


_POOL = _Pool()


def mount(session: requests.Session) -> requests.Session:
    """Send ``session``'s requests through the process's pool, and refuse cookies: for a
    session made by a library (Authlib's ``OAuth2Session``). Never close such a session:
    that would close the shared pool's connections."""
    adapter = _POOL.adapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


def session() -> requests.Session:
    """This thread's session on the process's pool."""
    return _POOL.session()


def buffered(response: requests.Response, max_bytes: int) -> requests.Response:
    """``response`` (made with ``stream=True``) with its body read, at most ``max_bytes`` once
    decoded, else :class:`Unanswered`. A body read to its end gives its connection back to
    the pool; one refused midway closes it.

    The body is kept where ``requests`` keeps a body it read itself (``Response._content``):
    ``requests`` has no public way to read a streamed body under a limit and then hand the
    response on, and Authlib's token parsing reads ``response.json()``.
    """
    chunks, size = [], 0
    # This exchange's timer, taken before the read's end gives the connection back to the
    # pool (where another thread's exchange may start on it and arm its own).
    deadline = getattr(response.raw.connection, "deadline", None)
    try:
        with response:
            for chunk in response.iter_content(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise Unanswered(f"larger than {max_bytes} bytes")
                chunks.append(chunk)
    except requests.RequestException as problem:  # broke off, too slow, or past the deadline
        raise Unanswered(type(problem).__name__) from problem
    finally:
        if deadline is not None:
            deadline.cancel()
    response._content = b"".join(chunks)
    return response


def get(url: str, *, max_bytes: int, timeout: float, headers: dict | None = None) -> requests.Response:
    """A ``200`` answer to a GET of ``url``, its body read (at most ``max_bytes``), else
    :class:`Unanswered`. Redirects are not followed: the URLs are registered by operators or
    published by the provider itself, and a redirect would carry a bearer token elsewhere."""
    try:
        response = session().get(url, timeout=timeout, stream=True, allow_redirects=False, headers=headers)
    except requests.RequestException as problem:
        raise Unanswered(type(problem).__name__) from problem
    if response.status_code != 200:
        response.close()
        raise Unanswered(f"status {response.status_code}")
    return buffered(response, max_bytes)
