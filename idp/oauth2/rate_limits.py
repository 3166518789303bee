"""Per-client rate limits on the machine endpoints (``IDP_CLIENT_RATE_LIMIT``).

api.gouv.fr asks each API to state its limits and to answer past them with 429 Too Many
Requests and ``Retry-After`` (RFC 6585 §4, RFC 9110 §10.2.3); so do we, per authenticated
client, on each of ``/token``, ``/introspect`` and ``/checktoken`` (``/api/v2/checktoken``
is the same endpoint, with the same budget). The charge happens right after client
authentication (:meth:`idp.oauth2.server.AuthorizationServer.authenticate_client`), which
both adapters reach through the same endpoint functions: a request whose client does not
authenticate is refused before it costs anyone's budget, and cannot spend another's.

The counting is the `limits` library's sliding window counter
(:class:`limits.strategies.SlidingWindowCounterRateLimiter`): two counters per client and
endpoint (this window and the previous one, weighted), so one increment per request in
memory or in Redis. A fixed window lets a client send twice its rate across a window's
boundary; a moving window keeps one timestamp per request (20,000 a second per client at
the default), which costs memory and time at the rates the hot paths serve.

Where the counters live:

- by default, in each worker process's memory (the budget is per process: with ``N``
  workers, an instance lets a client through up to ``N`` times the rate);
- with ``IDP_REDIS_URL``, in one Redis, so that every worker of every instance shares one
  budget. A Redis that fails (down, unreachable, too slow) does not fail the request: the
  limit is not applied (fail open), one warning is logged, and Redis is tried again
  :data:`REDIS_RETRY_SECONDS` later. The limit protects the service's capacity; refusing
  every request because its counter is unavailable would turn a Redis outage into an
  outage of the whole service.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from idp.oauth2.http import JSONError

log = logging.getLogger(__name__)

#: The client-authentication endpoint names (:data:`idp.oauth2.client_auth.METHODS_BY_ENDPOINT`)
#: that are limited; ``/revoke`` is not (revoking a leaked token must always be possible).
LIMITED_ENDPOINTS = frozenset({"token", "introspection", "checktoken"})
#: The ``error`` of a 429 answer, in the RFC 6749 §5.2 JSON layout.
RATE_LIMITED = "rate_limited"
#: Seconds a Redis command may take before the request goes on without the limit.
REDIS_TIMEOUT_SECONDS = 0.25
#: Seconds without Redis (and without the limit) after it failed, before it is tried again.
REDIS_RETRY_SECONDS = 5
EXTENSION = "client_rate_limits"


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage, its expired windows swept by one thread a second.

    :class:`~limits.storage.MemoryStorage` drops expired counters from a 10 ms
    ``threading.Timer`` that each write starts again once it has fired: under steady
    traffic, a new thread every 10 ms in every worker, and ``Thread.start()`` waits for the
    new thread to run, which needs the GIL. In process it was 20 % of a client_credentials
    ``/token`` (``python -m bench.profile token``: 370-420 µs per request before, see
    ``bench/RESULTS.md`` for after); under load, a request thread waits for the GIL's next
    hand-over there. Here the timer's place (``self.timer``, which the storage checks with
    ``is_alive()``) is one daemon thread that sweeps every :data:`SWEEP_SECONDS`; a counter
    read after its window is dropped at once anyway (``MemoryStorage.get``), so the limits
    are exact and only the memory of old windows waits for the sweep. The thread holds the
    storage weakly and ends with it.
    """

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()
        self.timer = threading.Thread(
            target=self._sweep, args=(weakref.ref(self),), name="idp-rate-limit-sweeper", daemon=True
        )
        self.timer.start()

    @classmethod
    def _sweep(cls, storage_ref: weakref.ref) -> None:
        while True:
            time.sleep(cls.SWEEP_SECONDS)
            storage = storage_ref()
            if storage is None:
                return
            storage._MemoryStorage__expire_events()  # the library's own sweep (name-mangled)
            del storage


class ClientRateLimits:
    """The budgets of every client on the limited endpoints, in memory or in Redis."""

    def __init__(self, rates: list[RateLimitItem], redis_url: str = "") -> None:
        self.rates = rates
        self.shared = bool(redis_url)
        options = {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
        storage = (
            storage_from_string(redis_url, wrap_exceptions=True, **options)
            if redis_url
            else SweptMemoryStorage()
        )
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.unavailable_until = 0.0

    def charge(self, endpoint: str, client_id: str) -> int | None:
        """Count one request; None within the budget, else the seconds to wait (at least 1)."""
        if self.unavailable_until and time.monotonic() < self.unavailable_until:
            return None
        try:
            for rate in self.rates:
                if not self.limiter.hit(rate, endpoint, client_id):
                    reset_at = self.limiter.get_window_stats(rate, endpoint, client_id).reset_time
                    return max(1, math.ceil(reset_at - time.time()))
        except StorageError as error:
            self.unavailable_until = time.monotonic() + REDIS_RETRY_SECONDS
            log.warning(
                "rate limits: Redis failed (%s); requests pass without a limit for %s s",
                type(error.storage_error).__name__,
                REDIS_RETRY_SECONDS,
            )
            return None
        if self.unavailable_until:
            self.unavailable_until = 0.0
            log.warning("rate limits: Redis answers again; the limit applies")
        return None


def init_app(app: Flask) -> None:
    """This app's budgets (none when ``CLIENT_RATE_LIMIT`` is empty)."""
    rate = app.config["CLIENT_RATE_LIMIT"]
    app.extensions[EXTENSION] = ClientRateLimits(parse_many(rate), app.config["REDIS_URL"]) if rate else None


def rate_limited(retry_after: int) -> JSONError:
    return JSONError(
        429,
        RATE_LIMITED,
        f"too many requests from this client at this endpoint; retry in {retry_after} s",
        headers=[("Retry-After", str(retry_after))],
    )


def charge(endpoint: str, client_id: str) -> None:
    """Count a request of an authenticated client; raises the 429 past its budget."""
    limits: ClientRateLimits | None = current_app.extensions[EXTENSION]
    if limits is None or endpoint not in LIMITED_ENDPOINTS:
        return
    retry_after = limits.charge(endpoint, client_id)
    if retry_after is not None:
        raise rate_limited(retry_after)
