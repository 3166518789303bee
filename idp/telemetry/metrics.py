"""The server's Prometheus metrics (``prometheus_client``), and one function per event.

The features call these functions where the thing happens, one line each; the names and
labels are listed in the README ("Metrics"). Labels are bounded: a route is a URL rule,
never a raw path; a client is a registered ``client_id``; an event or outcome is one of a
known set; an address is never a label.

The metrics are made on first use, not at import: ``idp serve`` points
``prometheus_client`` at its multiprocess directory (``PROMETHEUS_MULTIPROC_DIR``) after
the application, and so this module, was loaded, and its workers fork from that process
(:mod:`idp.operations.serving`). Each worker then writes its own files there, which
:mod:`idp.observability.exposition` adds up (prometheus_client's multiprocess mode).
They are made again should the mode change after they were made (something counted in
the main process before the directory was set): otherwise the workers would inherit
in-memory values that no scrape reads. So they live in a registry of their own, not
prometheus_client's default one. Outside ``idp serve`` (tests, ``flask run``), a scrape
reads that registry and the default one (the process's CPU, memory, GC).
"""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

#: Seconds; from 1 ms (a cached /jwks) to 5 s (past IDP_DATABASE_TIMEOUT's 503).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: What a route label says of a request no URL rule answered (a 404, a 405).
UNMATCHED = "unmatched"

_lock = threading.Lock()
_made: SimpleNamespace | None = None


def _make() -> SimpleNamespace:
    from prometheus_client import CollectorRegistry, Counter, Histogram, values

    registry = CollectorRegistry()

    def counter(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(name, documentation, labels, registry=registry)

    return SimpleNamespace(
        registry=registry,
        value_class=values.ValueClass,
        children={},
        requests=counter(
            "idp_http_requests", "HTTP requests answered, by route (URL rule), method and status.",
            ("route", "method", "status"),
        ),
        latency=Histogram(
            "idp_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
            ["route"], buckets=LATENCY_BUCKETS, registry=registry,
        ),
        tokens=counter(
            "idp_tokens_issued", "Access tokens issued at /token, by grant type.", ("grant_type",)
        ),
        introspections=counter(
            "idp_introspections", "Token introspections by data provider (its client_id) and endpoint.",
            ("client_id", "endpoint"),
        ),
        deliveries=counter(
            "idp_datapass_deliveries", "DataPass webhook deliveries, by event and outcome.",
            ("event", "outcome"),
        ),
        sign_in_failures=counter("idp_sign_in_failures", "Failed password sign-ins (local identity store)."),
        throttled_addresses=counter(
            "idp_sign_in_throttled_addresses", "Times a client address was held for too many failed sign-ins."
        ),
        database_errors=counter(
            "idp_database_errors", "Failed database statements: unavailable (503) or refused value (400).",
            ("kind",),
        ),
    )  # fmt: skip


def metrics() -> SimpleNamespace:
    """This process's metrics, made on first use, and again if the mode changed since."""
    global _made
    from prometheus_client import values

    made = _made
    if made is None or made.value_class is not values.ValueClass:
        with _lock:
            if _made is None or _made.value_class is not values.ValueClass:
                _made = _make()
            made = _made
    return made


def _child(made: SimpleNamespace, name: str, *labels: str):
    """``made.<name>.labels(*labels)``, kept: prometheus_client's ``labels()`` checks and
    converts the values and takes a lock at each call, about 3 µs, twice or three times per
    request; a dict lookup here is 0.1 µs. Labels are bounded (see above), and so is this."""
    key = (name, *labels)
    child = made.children.get(key)
    if child is None:
        child = made.children.setdefault(key, getattr(made, name).labels(*labels))
    return child


def multiprocess_directory() -> str | None:
    """Where the workers of ``idp serve`` write their metrics; None outside it."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# One function per event ------------------------------------------------------------------


def request_answered(route: str | None, method: str, status: int, seconds: float) -> None:
    made = metrics()
    route = route or UNMATCHED
    _child(made, "requests", route, method if method in _METHODS else "other", str(status)).inc()
    _child(made, "latency", route).observe(seconds)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def token_issued(grant_type: str) -> None:
    """An access token issued under ``grant_type`` (one of the grants Authlib dispatched to)."""
    _child(metrics(), "tokens", grant_type).inc()


def introspected(client_id: str, endpoint: str) -> None:
    """A data provider's introspection (``introspect`` or ``checktoken``), whatever the answer."""
    _child(metrics(), "introspections", client_id, endpoint).inc()


def datapass_delivery(event: str, outcome: str) -> None:
    _child(metrics(), "deliveries", event, outcome).inc()


def sign_in_failed() -> None:
    metrics().sign_in_failures.inc()


def address_throttled() -> None:
    metrics().throttled_addresses.inc()


def database_error(kind: str) -> None:
    """``unavailable`` or ``refused_value`` (:func:`idp.errors.database_error`)."""
    _child(metrics(), "database_errors", kind).inc()


def process_exited() -> None:
    """A worker of ``idp serve`` stops: prometheus_client's ``mark_process_dead``, which
    drops its live gauges' files (its counters stay counted)."""
    directory = multiprocess_directory()
    if directory:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), directory)
