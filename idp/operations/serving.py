"""``idp serve``: the production server (Granian), with several worker processes.

The WSGI application is served through Granian's RSGI interface by
:class:`~idp.operations.buffering.BufferedWSGI`, which reads each body on the event loop,
within ``IDP_BODY_READ_TIMEOUT``, before a thread runs the application: Granian's own WSGI
interface has no deadline on the body, and a few slow clients held every thread.
Granian bounds the rest: the headers of each request (and an idle keep-alive connection,
which waits for the next headers) within ``IDP_HEADER_READ_TIMEOUT``.
"""

from __future__ import annotations

import functools
import logging
import os

from flask import Flask

from idp.operations.buffering import BufferedWSGI

log = logging.getLogger(__name__)


def app_factory() -> Flask:
    """The Flask application, as each worker builds it (configuration comes from IDP_*)."""
    from idp import create_app

    return create_app()


def server_app(threads: int) -> BufferedWSGI:
    """What each Granian worker process serves: the application behind its body reader."""
    app = app_factory()
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


def serve(host: str, port: int, workers: int, threads: int, header_read_timeout: int) -> None:
    """Serve until interrupted; ``header_read_timeout`` in seconds."""
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    Granian(
        "idp.operations.serving:server_app",
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        workers=workers,
        http1_settings=HTTP1Settings(header_read_timeout=header_read_timeout * 1000),
        websockets=False,
        log_access=False,
        respawn_failed_workers=True,
    ).serve(target_loader=functools.partial(server_app, threads), wrap_loader=False)


#: Python threads per worker. Measured with bench/ (wrk, 2 cores): 8 threads per worker cost
#: 30 % to 3× more CPU per request than 1 or 2 and multiplied p99 by 5 to 15, as threads
#: fight over the GIL and queue behind SQLite's single writer. Not fewer than 4, though: the
#: built-in demo calls this server from inside a request (its callback calls /token, then
#: the demo data provider, which calls /checktoken), three requests deep on one worker.
#: Parallelism comes from the worker processes.
DEFAULT_THREADS = 4


def default_workers() -> int:
    """One worker process per core: each has its own GIL."""
    return os.cpu_count() or 2
