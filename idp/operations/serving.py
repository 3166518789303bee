"""``idp serve``: the production WSGI server (Granian), with several worker processes."""

from __future__ import annotations

import os

from flask import Flask


def app_factory() -> Flask:
    """Entry point imported by each Granian worker (configuration comes from IDP_*)."""
    from idp import create_app

    return create_app()


def serve(host: str, port: int, workers: int, threads: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "idp.operations.serving:app_factory",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        factory=True,
        log_access=False,
        respawn_failed_workers=True,
    ).serve()


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
