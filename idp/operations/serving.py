"""``idp serve``: the production server (Granian), with several worker processes.

The WSGI application is served through Granian's RSGI interface by
:class:`~idp.operations.buffering.BufferedWSGI`, which reads each body on the event loop,
within ``IDP_BODY_READ_TIMEOUT``, before a thread runs the application: Granian's own WSGI
interface has no deadline on the body, and a few slow clients held every thread.
Granian bounds the rest: the headers of each request (and an idle keep-alive connection,
which waits for the next headers) within ``IDP_HEADER_READ_TIMEOUT``.

Observability (:mod:`idp.observability`): every process, the main one and each worker, logs
in ``IDP_LOG_FORMAT``, Granian's own lines included. The workers write their metrics to a
fresh private directory made at start and removed at exit (prometheus_client's
multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``), which ``/metrics`` adds up; with
``--metrics-port``, the main process serves them on a listener of its own.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator

from flask import Flask

from idp.observability.exposition import start_metrics_server
from idp.operations.buffering import BufferedWSGI
from idp.operations.scheduling import schedule_worker_threads
from idp.telemetry.logs import configure_logging, granian_log_config

log = logging.getLogger(__name__)


def app_factory() -> Flask:
    """The Flask application, as each worker builds it (configuration comes from IDP_*)."""
    from idp import create_app

    return create_app()


def server_app(threads: int) -> BufferedWSGI:
    """What each Granian worker process serves: the application behind its body reader."""
    schedule_worker_threads()  # first: the threads started from here on inherit it
    app = app_factory()
    configure_logging(app.config["LOG_FORMAT"], batched=True)
    warm_caches(app)
    return BufferedWSGI(app, threads)


def warm_caches(app: Flask) -> None:
    """Load the key ring before the first request, so that ``/jwks`` has a copy to serve
    from should the database fail before anything asked for it (:mod:`idp.database.cache`).
    A database that is down now only delays that to the first request: the worker starts."""
    from idp.signing import public_jwks

    with app.app_context():
        try:
            public_jwks()
        except Exception as error:
            log.warning("key ring not loaded at start (%s): loaded at first use", type(error).__name__)


@contextlib.contextmanager
def metrics_directory() -> Iterator[str]:
    """A fresh directory (0700) for the workers' metrics files, removed afterwards.

    prometheus_client picks its multiprocess mode from ``PROMETHEUS_MULTIPROC_DIR`` when it
    is imported, which may have happened before this (the application was loaded first), so
    it picks again here; the metrics themselves are made later, in each worker
    (:mod:`idp.telemetry.metrics`).
    """
    from prometheus_client import values

    directory = tempfile.mkdtemp(prefix="idp-metrics-")
    previous = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    values.ValueClass = values.get_value_class()
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        else:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = previous
        values.ValueClass = values.get_value_class()
        shutil.rmtree(directory, ignore_errors=True)


def serve(
    app: Flask,
    host: str,
    port: int,
    workers: int,
    threads: int,
    metrics: tuple[str, int] | None = None,
) -> None:
    """Serve until interrupted; ``metrics``: the address of a separate metrics listener."""
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings

    log_format = app.config["LOG_FORMAT"]
    with metrics_directory():
        server = Granian(
            "idp.operations.serving:server_app",
            address=host,
            port=port,
            interface=Interfaces.RSGI,
            workers=workers,
            http1_settings=HTTP1Settings(header_read_timeout=app.config["HEADER_READ_TIMEOUT"] * 1000),
            websockets=False,
            log_access=False,
            log_dictconfig=granian_log_config(log_format),
            respawn_failed_workers=True,
            loop=Loops.auto,  # uvloop (a dependency), else asyncio
            task_impl=TASK_IMPL,
        )
        configure_logging(log_format)  # after Granian's own dictConfig, which resets handlers
        if metrics is not None:
            start_metrics_server(app, *metrics)
        server.serve(target_loader=functools.partial(server_app, threads), wrap_loader=False)


#: How Granian runs each request's coroutine: asyncio's tasks. Not Granian's Rust task
#: implementation, though it costs 10 to 15 % less CPU per request: with it (Granian 2.8.9,
#: Python 3.11, uvloop) a worker's anonymous memory grows by about 150 bytes per request and
#: is never given back. A bare RSGI application answering from a thread, as ours does,
#: under `wrk -c32`: 50 → 151 MB in 20 s with ``--task-impl rust``, flat at 19 MB with
#: asyncio; idp serve under /token grew 8 MB per 5 s with it, and is flat without.
TASK_IMPL = "asyncio"

#: Python threads per worker: how many requests of one worker can wait on something other
#: than the CPU at once. Only one runs the application while it makes progress
#: (:mod:`idp.operations.app_threads`, with the figures); the others join when it is stuck:
#: on a slow database, on an upstream identity provider, on the built-in demo calling this
#: server from inside a request (its callback calls /token, then the demo data provider,
#: which calls /checktoken), three requests deep on one worker. Parallelism comes from the
#: worker processes.
DEFAULT_THREADS = 8


def default_workers() -> int:
    """One worker process per core: each has its own GIL."""
    return os.cpu_count() or 2
