"""``/metrics``: who may read it, and what it reads.

Reachable only through a setting (issue 16): ``idp serve --metrics-port N``, a listener of
its own (loopback by default, ``--metrics-host``) that the main process of ``idp serve``
runs with prometheus_client's ``start_http_server``; or ``IDP_METRICS_TOKEN``, a bearer
token (RFC 6750 §2.1) that ``GET /metrics`` on the main port requires, compared in constant
time. Without either, ``/metrics`` is a 404 (:mod:`idp.observability.views`).

Under ``idp serve`` each worker writes its metrics to ``PROMETHEUS_MULTIPROC_DIR`` and a
scrape adds them up (prometheus_client's ``MultiProcessCollector``), whichever process
answers it. The signing keys' age is read at scrape time instead, from the key ring
(:class:`KeyAge`): a gauge written by a worker would go stale with it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator

from flask import Flask

import keys
from idp.models import utcnow
from idp.telemetry.metrics import metrics, multiprocess_directory

log = logging.getLogger(__name__)


def token_accepted(authorization: str | None, token: str) -> bool:
    """``Authorization: Bearer <token>`` (RFC 6750 §2.1), compared in constant time."""
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


class KeyAge:
    """``idp_signing_key_age_seconds{alg, kid}``: seconds since each active key began to sign."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(
            "idp_signing_key_age_seconds",
            "Seconds since the active signing key of each algorithm was activated.",
            labels=["alg", "kid"],
        )
        from idp import signing

        try:
            with self.app.app_context():
                records = signing.keyring().records
        except Exception as error:  # the ring cannot be loaded: the other metrics still answer
            log.warning("signing key age not collected: %s", type(error).__name__)
            records = ()
        now = utcnow()
        for record in records:
            if record.state is keys.KeyState.ACTIVE and record.activated_at is not None:
                family.add_metric([record.alg, record.kid], (now - record.activated_at).total_seconds())
        yield family


class _Forward:
    """Registries of this process, as one collector of another registry: prometheus_client's
    default one (the process's CPU, memory, GC) and idp's (:func:`~.metrics.metrics`)."""

    def collect(self) -> Iterator:
        from prometheus_client import REGISTRY

        yield from REGISTRY.collect()
        yield from metrics().registry.collect()


def scrape_registry(app: Flask):
    """What a scrape reads: every worker's metrics (multiprocess) or this process's, and the
    keys' age."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_directory()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_Forward())
    registry.register(KeyAge(app))
    return registry


def render(app: Flask) -> tuple[bytes, str]:
    """The Prometheus text exposition of every metric, and its media type."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(scrape_registry(app)), CONTENT_TYPE_LATEST


def start_metrics_server(app: Flask, host: str, port: int) -> None:
    """The separate metrics listener of ``idp serve --metrics-port`` (a daemon thread)."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=scrape_registry(app))
