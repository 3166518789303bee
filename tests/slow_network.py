"""A TCP proxy in front of a server that delays each of its answers by a fixed time.

With the database behind it, a request that waits for the database ``n`` times takes
``n × delay`` longer than its own work: its round trips, counted on the wire, whatever
protocol (a pipeline sends several statements before it waits once) or connection makes
them. What the client sends goes through at once; what the server sends is held for
``delay`` from the moment it arrived, in order. ``delay`` may change at any time (0 while a
test sets things up).
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit


class DelayingProxy:
    """Listens on a loopback port; each connection is one to ``upstream``."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database_url: str) -> str:
        """``database_url`` (with a user, as the test cluster's) through this proxy."""
        parts = urlsplit(database_url)
        user = parts.netloc.rpartition("@")[0]
        return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{self.port}"))

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self.upstream)
            for end in (client, server):
                end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=_forward, args=(client, server), daemon=True).start()
            threading.Thread(target=self._forward_later, args=(server, client), daemon=True).start()

    def _forward_later(self, source: socket.socket, target: socket.socket) -> None:
        """Each chunk sent ``delay`` after it arrived: a thread sends while this one reads on."""
        held: queue.SimpleQueue = queue.SimpleQueue()

        def send() -> None:
            with contextlib.suppress(OSError):
                while (item := held.get()) is not None:
                    due, data = item
                    time.sleep(max(0.0, due - time.monotonic()))
                    target.sendall(data)
            _close(source, target)

        threading.Thread(target=send, daemon=True).start()
        for data in _chunks(source):
            held.put((time.monotonic() + self.delay, data))
        held.put(None)


def _chunks(source: socket.socket) -> Iterator[bytes]:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            yield data


def _forward(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        for data in _chunks(source):
            target.sendall(data)
    _close(source, target)


def _close(*ends: socket.socket) -> None:
    for end in ends:
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()
